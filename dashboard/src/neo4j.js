// Every read the page makes: the procedures' results (gat.model.info, gat.attention.histogram,
// gat.embed.stream, gat.explain.stream) and the properties gat.train wrote (predicted class, attention per
// relationship). A typed model (gat.model.info's model.typed) gets its histograms per relation and its 2-D
// embeddings computed here; an untyped model is read as it always was.
import neo4j from 'neo4j-driver';
import { principalComponents } from './pca.js';
import { quoted } from './settings.js';

export function isTyped(info) {
  return info.model?.typed === true;
}

// One relationship type or several separated by '|' (a typed graph's), each quoted.
function types(settings) {
  return settings.type.split('|').map(quoted).join('|');
}

export function connect(settings) {
  const auth = settings.user ? neo4j.auth.basic(settings.user, settings.password) : neo4j.auth.none();
  return neo4j.driver(settings.bolt, auth, { disableLosslessIntegers: true, userAgent: 'neogat-dashboard' });
}

async function read(driver, settings, query, parameters = {}) {
  const session = driver.session({
    database: settings.database || undefined,
    defaultAccessMode: neo4j.session.READ
  });
  try {
    const result = await session.run(query, parameters);
    return result.records.map((record) => record.toObject());
  } finally {
    await session.close();
  }
}

export async function modelInfo(driver, settings) {
  const rows = await read(driver, settings,
    `CALL gat.model.info($model)
     YIELD name, model, classes, labelProperty, metrics, confusionMatrix, classMetrics, history, bestEpoch, stopReason
     RETURN name, model, classes, labelProperty, metrics, confusionMatrix, classMetrics, history, bestEpoch,
            stopReason`, { model: settings.model });
  return rows[0];
}

export function entropyHistogram(driver, settings) {
  return read(driver, settings,
    `CALL gat.attention.histogram($model, {bins: $bins, attentionHeads: 'mean'})
     YIELD layer, bin, lower, upper, nodes, uniformNodes
     RETURN layer, bin, lower, upper, nodes, uniformNodes ORDER BY layer, bin`,
    { model: settings.model, bins: neo4j.int(settings.bins) });
}

// Per layer and relation of a typed model: gat.attention.histogram names each row's relation, e.g.
// '(Author)-[rev_WRITES]->(Paper)'.
export function relationEntropyHistogram(driver, settings) {
  return read(driver, settings,
    `CALL gat.attention.histogram($model, {bins: $bins, attentionHeads: 'mean'})
     YIELD layer, bin, lower, upper, nodes, uniformNodes, relation
     RETURN layer, relation, bin, lower, upper, nodes, uniformNodes ORDER BY layer, relation, bin`,
    { model: settings.model, bins: neo4j.int(settings.bins) });
}

// The target label's nodes of a typed model in 2-D: their last hidden embeddings projected here on the two
// leading principal components.
export async function typedEmbeddings2d(driver, settings, targetLabel) {
  const rows = await read(driver, settings,
    `CALL gat.embed.stream($model)
     YIELD node, embedding
     WITH node, embedding WHERE $target IN labels(node)
     RETURN embedding, node[$actual] AS actual, node[$predicted] AS predicted`,
    { model: settings.model, target: targetLabel, actual: settings.actual, predicted: settings.predicted });
  const projected = principalComponents(rows.map((r) => r.embedding));
  return rows.map((r, i) => ({ x: projected[i][0] ?? 0, y: projected[i][1] ?? 0, actual: r.actual,
    predicted: r.predicted }));
}

export function embeddings2d(driver, settings) {
  return read(driver, settings,
    `CALL gat.embed.stream($model, {pcaDimensions: 2})
     YIELD node, embedding
     RETURN embedding[0] AS x, embedding[1] AS y, node[$actual] AS actual, node[$predicted] AS predicted`,
    { model: settings.model, actual: settings.actual, predicted: settings.predicted });
}

// The chosen node (or, by default, the first test node by id among those with the most neighbours, up to 12)
// and the nodes around it: all its neighbours, then second neighbours up to maxNodes in all. Neighbours carry
// the centre's label, or with `labels` (a typed model's node types) any of those.
export async function neighbourhood(driver, settings, labels = null) {
  const label = quoted(settings.label);
  const type = types(settings);
  const neighbourLabel = labels === null ? `:${label}` : '';
  const firstOfLabels = labels === null ? '' : 'WHERE any(l IN labels(first) WHERE l IN $labels)';
  const secondOfLabels = labels === null ? '' : 'AND any(l IN labels(second) WHERE l IN $labels)';
  let centreId = settings.node === '' ? null : settings.node;
  if (centreId === null) {
    const picked = await read(driver, settings,
      `MATCH (n:${label}) WHERE n[$predicted] IS NOT NULL
       WITH n, COUNT { (n)-[:${type}]-() } AS degree WHERE degree <= 12
       RETURN n[$id] AS id ORDER BY degree DESC, id LIMIT 1`,
      { predicted: settings.predicted, id: settings.id });
    if (picked.length === 0) {
      throw new Error(`No :${settings.label} node has the property '${settings.predicted}': `
        + 'has gat.train or gat.predict.write written predictions?');
    }
    centreId = picked[0].id;
  }
  const nodes = await read(driver, settings,
    `MATCH (centre:${label}) WHERE centre[$id] = $centreId
     OPTIONAL MATCH (centre)-[:${type}]-(first${neighbourLabel}) ${firstOfLabels}
     WITH centre, collect(DISTINCT first) AS firsts
     UNWIND CASE WHEN firsts = [] THEN [null] ELSE firsts END AS first
     OPTIONAL MATCH (first)-[:${type}]-(second${neighbourLabel})
     WHERE second <> centre AND NOT second IN firsts ${secondOfLabels}
     WITH centre, firsts, collect(DISTINCT second) AS seconds
     WITH centre, firsts[..$maxNodes - 1] AS firsts, seconds
     WITH [centre] + firsts + seconds[..CASE WHEN size(firsts) + 1 < $maxNodes THEN $maxNodes - 1 - size(firsts) ELSE 0 END]
          AS around
     UNWIND range(0, size(around) - 1) AS i
     WITH around[i] AS n, CASE WHEN i = 0 THEN 0 ELSE 1 END AS ring
     RETURN elementId(n) AS key, n[$id] AS id, n[$actual] AS actual, n[$predicted] AS predicted, ring`,
    { id: settings.id, centreId: asParameter(centreId), maxNodes: neo4j.int(settings.maxNodes), actual: settings.actual,
      predicted: settings.predicted, labels });
  if (nodes.length === 0) {
    throw new Error(`No :${settings.label} node has ${settings.id} = ${JSON.stringify(centreId)}`);
  }
  const relationships = await read(driver, settings,
    `UNWIND $keys AS key
     MATCH (a) WHERE elementId(a) = key
     MATCH (a)-[r:${type}]->(b) WHERE elementId(b) IN $keys
     RETURN elementId(r) AS key, elementId(a) AS from, elementId(b) AS to,
            r[$attention] AS attention, r[$attentionReverse] AS attentionReverse`,
    { keys: nodes.map((n) => n.key), attention: settings.attention, attentionReverse: settings.attentionReverse });
  return { centre: nodes[0], nodes, relationships };
}

// gat.explain.stream for the node with element id `key`: the summary row, the node rows and the relationship
// rows, cut to the explainK most influential parts.
export async function explanation(driver, settings, key) {
  const config = { k: neo4j.int(settings.explainK), topFeatures: neo4j.int(5) };
  if (settings.featureNames !== '') {
    config.featureNames = settings.featureNames;
  }
  const rows = await read(driver, settings,
    `MATCH (n) WHERE elementId(n) = $key
     CALL gat.explain.stream($model, n, $config)
     YIELD kind, rank, node, relationship, predictedClass, probability, runnerUpClass, runnerUpProbability,
           distance, flow, layerFlow, occlusionDelta, flips, topFeatures
     RETURN kind, rank, elementId(node) AS key, node[$id] AS id, node[$predicted] AS predicted,
            elementId(relationship) AS relationshipKey, elementId(startNode(relationship)) AS from,
            elementId(endNode(relationship)) AS to, predictedClass, probability, runnerUpClass, runnerUpProbability,
            distance, flow, layerFlow, occlusionDelta, flips, topFeatures`,
    { key, model: settings.model, config, id: settings.id, predicted: settings.predicted });
  return {
    summary: rows.find((r) => r.kind === 'prediction'),
    nodes: rows.filter((r) => r.kind === 'node'),
    relationships: rows.filter((r) => r.kind === 'relationship')
  };
}

// Ids from the URL are text; whole numbers are sent as Cypher integers.
function asParameter(id) {
  const number = typeof id === 'number' ? id : Number(id);
  return Number.isInteger(number) && String(id).trim() !== '' ? neo4j.int(number) : id;
}
