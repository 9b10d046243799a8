// The page's settings, from its URL's query string, with the names the project's Cypher scripts use as
// defaults: ?bolt=bolt://127.0.0.1:7687&model=demo&node=35 and so on (see the README).

const DEFAULTS = {
  bolt: 'bolt://127.0.0.1:7687',
  user: '',
  password: '',
  database: '',
  model: 'demo',
  label: 'Paper',
  type: 'CITES',
  id: 'paperId',
  actual: 'subject',
  predicted: 'predictedSubject',
  attention: 'attention',
  attentionReverse: '',
  node: '',
  bins: '10',
  maxNodes: '60',
  explainK: '10',
  featureNames: ''
};

export function readSettings(search) {
  const params = new URLSearchParams(search);
  const settings = {};
  for (const [key, fallback] of Object.entries(DEFAULTS)) {
    settings[key] = params.has(key) ? params.get(key) : fallback;
  }
  const unknown = [...params.keys()].filter((key) => !(key in DEFAULTS));
  if (unknown.length > 0) {
    throw new Error(`Unknown URL parameter ${unknown.map((k) => `'${k}'`).join(', ')}; known: `
      + Object.keys(DEFAULTS).join(', '));
  }
  if (settings.attentionReverse === '') {
    settings.attentionReverse = `${settings.attention}Reverse`;
  }
  settings.bins = positiveInteger('bins', settings.bins, 100);
  settings.maxNodes = positiveInteger('maxNodes', settings.maxNodes, 500);
  settings.explainK = positiveInteger('explainK', settings.explainK, 100);
  return settings;
}

function positiveInteger(name, text, max) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`URL parameter ${name} must be an integer from 1 to ${max}, got '${text}'`);
  }
  return value;
}

// A label, relationship type or property name written into Cypher text, quoted so any name is safe.
export function quoted(name) {
  return '`' + String(name).replaceAll('`', '``') + '`';
}
