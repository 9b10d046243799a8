// Trains a typed GAT on a graph in the layout load-typed-dataset.cypher makes: each of $nodeLabels a node type
// reading its own `features` (widths may differ), each (label, type, label) of $relationshipTypes a relation
// with its own attention, read both ways (the reverse of a relation between two labels is the relation
// rev_<type>), the relations into a label summed (PyG's HeteroConv default; 'attention', HAN's semantic
// attention, measured lower on ACM). Each label's feature rows are scaled to sum to 1 (normalizeFeatures'
// default, stored with the model). Weight decay 0.001 and no dropout on the projected messages (dropout 0.6 stays
// on each layer's input and on attention): the best setting TypedAccuracyBenchmark measured on ACM.
// The target is the label whose nodes carry `class`; each of its nodes gets its predicted class and class
// probabilities.
// Parameters: $modelName, $nodeLabels, $relationshipTypes, $epochs.

CALL gat.train($modelName, {
  nodeLabels: $nodeLabels,
  relationshipTypes: $relationshipTypes,
  typed: true,
  featureProperties: 'features',
  labelProperty: 'class',
  splitProperty: 'split',
  relationAggregation: 'sum',
  normalizeFeatures: true,
  weightDecay: 0.001,
  messageDropout: 0.0,
  epochs: $epochs,
  writeProperty: 'predictedClass',
  probabilityProperty: 'classProbabilities'
})
YIELD modelName, mode, modeReason, nodeCount, relationshipCount, classes, epochs, bestEpoch, trainAccuracy,
      validationAccuracy, testAccuracy, trainMillis, propertiesWritten
RETURN modelName, mode, modeReason, nodeCount, relationshipCount, classes, epochs, bestEpoch, trainAccuracy,
       validationAccuracy, testAccuracy, trainMillis, propertiesWritten;
