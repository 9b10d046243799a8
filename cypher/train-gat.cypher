// Trains a GAT on the papers (the GAT paper's model: 2 layers, 8 heads x 8 channels, dropout 0.6) and
// writes back each paper's predicted subject, its class probabilities, and the attention on every
// citation: `attention` is how much the cited paper attends to the citing one, `attentionReverse` the
// other way round (citations are used in both directions).
// Parameter: $modelName.

CALL gat.train($modelName, {
  nodeLabels: ['Paper'],
  relationshipTypes: ['CITES'],
  orientation: 'UNDIRECTED',
  featureProperties: ['features'],
  labelProperty: 'subject',
  splitProperty: 'split',
  writeProperty: 'predictedSubject',
  probabilityProperty: 'subjectProbabilities',
  attentionProperty: 'attention',
  selfAttentionProperty: 'selfAttention'
})
YIELD modelName, device, deviceReason, nodeCount, relationshipCount, classes, epochs, bestEpoch,
      trainAccuracy, validationAccuracy, testAccuracy, loadMillis, trainMillis, writeMillis, propertiesWritten
RETURN modelName, device, deviceReason, nodeCount, relationshipCount, classes, epochs, bestEpoch,
       trainAccuracy, validationAccuracy, testAccuracy, loadMillis, trainMillis, writeMillis, propertiesWritten;
