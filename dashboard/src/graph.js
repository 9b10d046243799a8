// The subgraph around the chosen node, drawn with the Neo4j Visualization Library: node colour is the
// predicted class (✗ in the caption when it differs from the actual class), and each relationship becomes
// up to two arrows, one per direction the message flows, as wide as the attention the receiving node gave.
import { NVL } from '@neo4j-nvl/base';

const MIN_WIDTH = 0.5;
const WIDTH_PER_ATTENTION = 12;

export function toNvl(neighbourhood, colourOf) {
  const nodes = neighbourhood.nodes.map((n) => {
    const wrong = n.actual !== null && n.actual !== undefined && n.predicted !== n.actual;
    return {
      id: n.key,
      caption: `${n.id}${wrong ? ' ✗' : ''}`,
      color: colourOf(n.predicted),
      size: n.ring === 0 ? 40 : 22,
      selected: n.ring === 0
    };
  });
  const relationships = [];
  for (const r of neighbourhood.relationships) {
    // r.attention: how much the end node attends to the start node, so the message flows start -> end.
    for (const [suffix, from, to, weight] of [['f', r.from, r.to, r.attention], ['r', r.to, r.from, r.attentionReverse]]) {
      if (weight === null || weight === undefined) {
        continue;
      }
      relationships.push({
        id: `${r.key}:${suffix}`,
        from,
        to,
        width: MIN_WIDTH + WIDTH_PER_ATTENTION * weight,
        caption: to === neighbourhood.centre.key ? weight.toFixed(2) : undefined,
        color: to === neighbourhood.centre.key ? '#333333' : '#9a9a9a'
      });
    }
  }
  return { nodes, relationships };
}

const WIDTH_PER_FLOW = 16;
export const FLIP_COLOUR = '#d62728';

// The explanation subgraph of gat.explain.stream: node size grows with the share of the prediction reaching
// the node (flow), arrow width = flow through the relationship, red arrows with a ⚑ caption are those whose
// removal alone flips the prediction.
export function explanationToNvl(explanation, colourOf) {
  const nodes = explanation.nodes.map((n) => ({
    id: n.key,
    caption: n.distance === 0 ? `${n.id} ?` : String(n.id),
    color: colourOf(n.predicted),
    size: n.distance === 0 ? 40 : 16 + 40 * Math.sqrt(n.flow),
    selected: n.distance === 0
  }));
  const relationships = explanation.relationships.map((r) => ({
    id: r.relationshipKey,
    from: r.from,
    to: r.to,
    width: MIN_WIDTH + WIDTH_PER_FLOW * r.flow,
    caption: r.flips ? `⚑ ${r.flow.toFixed(2)}` : r.flow.toFixed(2),
    color: r.flips ? FLIP_COLOUR : '#555555'
  }));
  return { nodes, relationships };
}

// Resolves with the NVL instance once the layout has settled (or after a time limit, the layout still moving).
export function drawGraph(container, { nodes, relationships }) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = () => {
      if (!settled) {
        settled = true;
        resolve(nvl);
      }
    };
    const nvl = new NVL(container, nodes, relationships, {
      layout: 'd3Force',
      renderer: 'canvas',
      disableWebGL: true,
      disableTelemetry: true,
      disableWebWorkers: true,
      initialZoom: 1,
      styling: { selectedBorderColor: '#222222' }
    }, {
      onLayoutDone: () => {
        nvl.fit(nodes.map((n) => n.id), { animated: false });
        setTimeout(finish, 300);
      },
      onError: (error) => reject(error)
    });
    setTimeout(finish, 8000);
  });
}
