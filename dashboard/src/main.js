// The dashboard: reads a trained model's results from Neo4j and draws them. See the README for the URL
// parameters. When everything is drawn, <body data-ready="true"> (the browser test waits for it).
import './style.css';
import { readSettings } from './settings.js';
import { connect, embeddings2d, entropyHistogram, explanation, isTyped, modelInfo, neighbourhood,
  relationEntropyHistogram, typedEmbeddings2d } from './neo4j.js';
import { classColours, groupedBars, lines, NO_CLASS, scatter } from './charts.js';
import { drawGraph, explanationToNvl, toNvl } from './graph.js';

const $ = (id) => document.getElementById(id);

function showError(error) {
  console.error(error);
  const banner = $('error');
  banner.hidden = false;
  banner.textContent = `Could not draw the dashboard: ${error.message ?? error}`;
  document.body.dataset.ready = 'error';
}

function percent(value) {
  return value === null || value === undefined ? '–' : `${(100 * value).toFixed(1)}%`;
}

function drawSummary(settings, info) {
  const test = info.metrics?.test ?? {};
  const validation = info.metrics?.validation ?? {};
  const count = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const typed = isTyped(info) ? `typed: ${count(Object.keys(info.model.nodeTypes).length, 'node type')}, `
    + `${count(info.model.relations.length, 'relation')}, target ${info.model.targetType}; ` : '';
  $('summary').textContent = `Model '${info.name}' (${info.model.variant ?? 'gat'}, ${typed}${info.classes.length} `
    + `classes of ${info.labelProperty}) at ${settings.bolt}: test score ${percent(test.score)}, validation `
    + `${percent(validation.score)}; best epoch ${info.bestEpoch} of ${info.history.length} `
    + `(${info.stopReason}).`;
}

// A relation of gat.model.info's model.relations as gat.attention.* name it: '(Author)-[rev_WRITES]->(Paper)'.
function relationName(relation) {
  return `(${relation.source})-[${relation.name}]->(${relation.target})`;
}

// Its key in model.relationImportance: 'Author__rev_WRITES__Paper'.
function relationKey(relation) {
  return `${relation.source}__${relation.name}__${relation.target}`;
}

function table(id, headers, rows) {
  const element = $(id);
  const head = element.createTHead().insertRow();
  for (const label of headers) {
    head.appendChild(Object.assign(document.createElement('th'), { textContent: label }));
  }
  const body = element.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const value of row) {
      tr.insertCell().textContent = value;
    }
  }
}

// A typed model's node types (input width, features or a learned input, the target) and its relations with
// their importance β per layer into their target type (relationAggregation 'attention' only).
function drawTypedModel(info) {
  const model = info.model;
  $('model-section').hidden = false;
  const inputs = new Map((model.nodeTypeInputs ?? []).map((t) => [t.label, t.input]));
  table('node-types', ['node type', 'input width', 'input', 'role'], Object.entries(model.nodeTypes)
    .map(([label, width]) => [label, String(width), inputs.get(label) ?? 'features',
      label === model.targetType ? 'target' : 'passes messages']));
  const importance = model.relationImportance ?? null;
  const layers = importance === null ? [] : importance.map((_, l) => `β layer ${l + 1}`);
  table('relations', ['relation', ...layers], model.relations.map((r) => [relationName(r),
    ...importance?.map((byTarget) => {
      const beta = byTarget[r.target]?.[relationKey(r)];
      return beta === undefined || beta === null ? '–' : beta.toFixed(3);
    }) ?? []]));
  $('relation-aggregation').textContent = importance === null
    ? `Relations into a node type are combined by '${model.relationAggregation}': no learned importance.`
    : 'β: the learned importance of each relation into its target type (semantic attention, HAN), per layer; '
      + '– where the relation does not point into a type the layer outputs.';
}

function drawHistograms(rows) {
  const container = $('histograms');
  const layers = [...new Set(rows.map((r) => r.layer))];
  for (const layer of layers) {
    const bins = rows.filter((r) => r.layer === layer);
    histogram(container, `Layer ${layer + 1}`, bins);
  }
}

// A typed model's histograms: one per layer and relation, each over the targets of that relation.
function drawRelationHistograms(rows) {
  const container = $('histograms');
  const charts = new Map();
  for (const row of rows) {
    const title = `Layer ${row.layer + 1}: ${row.relation}`;
    charts.set(title, [...(charts.get(title) ?? []), row]);
  }
  for (const [title, bins] of charts) {
    histogram(container, title, bins);
  }
}

function histogram(container, title, bins) {
  groupedBars(container, {
    title,
    categories: bins.map((b) => ({ label: `${b.lower.toFixed(2)}–${b.upper.toFixed(2)} nats`,
      tick: b.lower.toFixed(1) })),
    series: [
      { name: 'attention', className: 'attention', colour: '#4e79a7', values: bins.map((b) => b.nodes) },
      { name: 'uniform', className: 'uniform', colour: '#bab0ac', values: bins.map((b) => b.uniformNodes) }
    ],
    xLabel: 'entropy of incoming attention (nats)',
    yLabel: 'nodes'
  });
}

function drawHistory(info) {
  const history = info.history;
  lines($('history'), {
    series: [
      { name: 'training loss', colour: '#e15759', axis: 'left',
        points: history.map((h) => ({ x: h.epoch, y: h.loss })) },
      { name: 'train accuracy', colour: '#59a14f', axis: 'right',
        points: history.map((h) => ({ x: h.epoch, y: h.trainScore })) },
      { name: 'validation accuracy', colour: '#4e79a7', axis: 'right',
        points: history.map((h) => ({ x: h.epoch, y: h.validationScore })) }
    ],
    xLabel: 'epoch',
    leftLabel: 'loss',
    rightLabel: 'accuracy',
    marker: { x: info.bestEpoch, label: `best epoch ${info.bestEpoch}` }
  });
}

function drawConfusion(info, colourOf) {
  if (!info.confusionMatrix) {
    $('confusion').textContent = 'No confusion matrix: the model is multi-label.';
    return;
  }
  const table = document.createElement('table');
  table.className = 'confusion';
  const classes = info.classes.map(String);
  const max = Math.max(1, ...info.confusionMatrix.flat());
  const header = table.createTHead().insertRow();
  header.insertCell().textContent = 'actual \\ predicted';
  classes.forEach((_, i) => {
    const cell = document.createElement('th');
    cell.textContent = String(i + 1);
    cell.title = classes[i];
    header.appendChild(cell);
  });
  // Short headers, full names on hover: with 7 classes the table must fit a half-width card.
  for (const [label, title] of [['prec.', 'precision'], ['rec.', 'recall'], ['F1', 'F1'], ['n', 'test nodes']]) {
    header.appendChild(Object.assign(document.createElement('th'), { textContent: label, title }));
  }
  const body = table.createTBody();
  info.confusionMatrix.forEach((row, i) => {
    const tr = body.insertRow();
    const name = tr.insertCell();
    const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
    swatch.style.background = colourOf(classes[i]);
    // A break opportunity after each '_' lets names like Probabilistic_Methods wrap.
    name.append(swatch, document.createTextNode(`${i + 1}. ${classes[i].replaceAll('_', '_\u200b')}`));
    name.title = classes[i];
    row.forEach((count, j) => {
      const cell = tr.insertCell();
      cell.textContent = String(count);
      cell.className = i === j ? 'cell diagonal' : 'cell';
      const shade = count / max;
      cell.style.background = i === j ? `rgba(89, 161, 79, ${shade})` : `rgba(225, 87, 89, ${Math.sqrt(shade)})`;
    });
    const metrics = info.classMetrics[i];
    for (const value of [metrics.precision, metrics.recall, metrics.f1]) {
      tr.insertCell().textContent = value === null ? '–' : value.toFixed(3);
    }
    tr.insertCell().textContent = String(metrics.support);
  });
  $('confusion').appendChild(table);
}

function drawEmbedding(rows, info, colourOf) {
  scatter($('embedding'), {
    points: rows.map((r) => ({ x: r.x, y: r.y, colour: colourOf(r.actual),
      title: `actual ${r.actual ?? '(none)'}, predicted ${r.predicted}` })),
    legendEntries: [...info.classes.map((c) => ({ name: String(c), colour: colourOf(c) })),
      { name: 'unlabelled', colour: NO_CLASS }]
  });
}

async function drawNeighbourhood(around, settings, colourOf, classes) {
  $('centre-name').textContent = `${settings.label} ${settings.id} = ${around.centre.id}`;
  const legend = $('legend');
  const list = document.createElement('ul');
  list.className = 'legend';
  for (const c of classes) {
    const item = document.createElement('li');
    const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
    swatch.style.background = colourOf(c);
    item.append(swatch, document.createTextNode(String(c)));
    list.appendChild(item);
  }
  legend.appendChild(list);
  // What the centre attended to, as a table (the numbers behind the arrows into it).
  const table = $('centre-attention');
  const rows = [];
  for (const r of around.relationships) {
    if (r.to === around.centre.key && r.attention !== null) {
      rows.push({ other: r.from, weight: r.attention });
    }
    if (r.from === around.centre.key && r.attentionReverse !== null) {
      rows.push({ other: r.to, weight: r.attentionReverse });
    }
  }
  const byKey = new Map(around.nodes.map((n) => [n.key, n]));
  rows.sort((a, b) => b.weight - a.weight);
  const head = table.createTHead().insertRow();
  for (const label of ['attends to', 'actual', 'predicted', 'weight']) {
    head.appendChild(Object.assign(document.createElement('th'), { textContent: label }));
  }
  const body = table.createTBody();
  for (const row of rows) {
    const other = byKey.get(row.other);
    const tr = body.insertRow();
    tr.insertCell().textContent = String(other.id);
    tr.insertCell().textContent = other.actual ?? '–';
    tr.insertCell().textContent = other.predicted ?? '–';
    tr.insertCell().textContent = row.weight.toFixed(3);
  }
  const graph = toNvl(around, colourOf);
  const nvl = await drawGraph($('graph'), graph);
  const placed = nvl.getNodePositions().filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  document.body.dataset.nodesDrawn = String(placed.length);
  document.body.dataset.arrowsDrawn = String(nvl.getRelationships().length);
}

function signed(value) {
  return value === null || value === undefined ? '–' : `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}

// The "Why?" view: the explanation subgraph of the centre node, its prediction, the relationships that
// mattered (flow, occlusion, flips) and the input features that pushed the prediction most.
async function drawWhy(why, around, settings, colourOf) {
  const s = why.summary;
  $('why-name').textContent = `${settings.label} ${settings.id} = ${around.centre.id}`;
  $('why-prediction').textContent = `Predicted ${s.predictedClass} with probability ${percent(s.probability)}; `
    + `runner-up ${s.runnerUpClass ?? '–'} (${percent(s.runnerUpProbability)}). `
    + `${why.relationships.filter((r) => r.flips).length} of the ${why.relationships.length} relationships shown `
    + 'flip the prediction when removed alone.';
  const byKey = new Map(why.nodes.map((n) => [n.key, n]));
  const table = $('why-relationships');
  const head = table.createTHead().insertRow();
  for (const label of ['#', 'from', 'to', 'flow', 'Δ p', 'flips']) {
    head.appendChild(Object.assign(document.createElement('th'), { textContent: label }));
  }
  const body = table.createTBody();
  for (const r of [...why.relationships].sort((a, b) => a.rank - b.rank)) {
    const tr = body.insertRow();
    tr.insertCell().textContent = String(r.rank);
    tr.insertCell().textContent = String(byKey.get(r.from)?.id ?? '?');
    tr.insertCell().textContent = String(byKey.get(r.to)?.id ?? '?');
    tr.insertCell().textContent = r.flow.toFixed(3);
    tr.insertCell().textContent = signed(r.occlusionDelta);
    tr.insertCell().textContent = r.flips ? '⚑ yes' : '';
    if (r.flips) {
      tr.className = 'flips';
    }
  }
  const list = $('why-features');
  const shown = why.nodes.filter((n) => n.topFeatures.length > 0)
    .sort((a, b) => a.distance - b.distance || b.flow - a.flow).slice(0, 3);
  for (const n of shown) {
    const item = document.createElement('li');
    const words = n.topFeatures.map((f) => `${typeof f.feature === 'number' ? `#${f.feature}` : f.feature} `
      + `(${signed(f.attribution)})`);
    item.textContent = `${n.distance === 0 ? 'the node itself' : `${settings.id} ${n.id}`}: ${words.join(', ')}`;
    list.appendChild(item);
  }
  const nvl = await drawGraph($('why-graph'), explanationToNvl(why, colourOf));
  const placed = nvl.getNodePositions().filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  document.body.dataset.whyNodesDrawn = String(placed.length);
  document.body.dataset.whyEdgesDrawn = String(nvl.getRelationships().length);
  const flipping = new Set(why.relationships.filter((r) => r.flips).map((r) => r.relationshipKey));
  document.body.dataset.whyFlipMarkers = String(nvl.getRelationships().filter((r) => flipping.has(r.id)).length);
  document.body.dataset.whyFeatureItems = String(list.children.length);
}

async function main() {
  const settings = readSettings(window.location.search);
  const driver = connect(settings);
  try {
    const info = await modelInfo(driver, settings);
    if (!info) {
      throw new Error(`gat.model.info returned nothing for model '${settings.model}'`);
    }
    const colourOf = classColours(info.classes);
    const typed = isTyped(info);
    drawSummary(settings, info);
    if (typed) {
      drawTypedModel(info);
    }
    drawHistory(info);
    drawConfusion(info, colourOf);
    const [histogram, embedding, around] = await Promise.all(typed
      ? [relationEntropyHistogram(driver, settings), typedEmbeddings2d(driver, settings, info.model.targetType),
        neighbourhood(driver, settings, Object.keys(info.model.nodeTypes))]
      : [entropyHistogram(driver, settings), embeddings2d(driver, settings), neighbourhood(driver, settings)]);
    if (typed) {
      drawRelationHistograms(histogram);
    } else {
      drawHistograms(histogram);
    }
    drawEmbedding(embedding, info, colourOf);
    await drawNeighbourhood(around, settings, colourOf, info.classes);
    let why = null;
    try {
      why = await explanation(driver, settings, around.centre.key);
    } catch (error) {
      // gat.explain.stream may refuse a typed model: the Why? card says why and the rest of the page stands.
      if (!typed) {
        throw error;
      }
      $('why-prediction').textContent = `No explanation for this model: ${error.message ?? error}`;
    }
    if (why !== null) {
      await drawWhy(why, around, settings, colourOf);
    }
    document.body.dataset.ready = 'true';
  } finally {
    await driver.close();
  }
}

main().catch(showError);
