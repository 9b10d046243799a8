// Trains a typed GAT on a graph in the layout load-typed-dataset.cypher makes: each of $nodeLabels a node type
// reading its own `features` (widths may differ), each (label, type, label) of $relationshipTypes a relation
// with its own attention, read both ways (the reverse of a relation between two labels is the relation
// rev_<type>), the relations into a label weighed by semantic attention (see gat.model.info's
// model.relationImportance). The target is the label whose nodes carry `class`; each of its nodes gets its
// predicted class and class probabilities.
// Parameters: $modelName, $nodeLabels, $relationshipTypes, $epochs.

CALL gat.train($modelName, {
  nodeLabels: $nodeLabels,
  relationshipTypes: $relationshipTypes,
  typed: true,
  featureProperties: 'features',
  labelProperty: 'class',
  splitProperty: 'split',
  relationAggregation: 'attention',
  epochs: $epochs,
  writeProperty: 'predictedClass',
  probabilityProperty: 'classProbabilities'
})
YIELD modelName, mode, modeReason, nodeCount, relationshipCount, classes, epochs, bestEpoch, trainAccuracy,
      validationAccuracy, testAccuracy, trainMillis, propertiesWritten
RETURN modelName, mode, modeReason, nodeCount, relationshipCount, classes, epochs, bestEpoch, trainAccuracy,
       validationAccuracy, testAccuracy, trainMillis, propertiesWritten;
