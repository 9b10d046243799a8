// Small SVG charts drawn by hand: grouped bars, lines and a scatter plot, with axes and a legend.
const SVG = 'http://www.w3.org/2000/svg';

// Colours for classes (Tableau 10), then grey for anything without a class.
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#bab0ac'];
export const NO_CLASS = '#c8c8c8';

export function classColours(classes) {
  const colours = new Map();
  classes.forEach((name, i) => colours.set(String(name), PALETTE[i % PALETTE.length]));
  return (name) => (name === null || name === undefined ? NO_CLASS : colours.get(String(name)) ?? NO_CLASS);
}

function element(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, value);
  }
  if (parent) {
    parent.appendChild(node);
  }
  return node;
}

function text(parent, x, y, content, attributes = {}) {
  const node = element('text', { x, y, ...attributes }, parent);
  node.textContent = content;
  return node;
}

function frame(width, height) {
  const svg = element('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart' });
  return svg;
}

const MARGIN = { left: 48, right: 48, top: 24, bottom: 40 };
// Left margin of a chart whose y-axis title is written along the axis.
const MARGIN_ROTATED = 64;

function linear(domainMin, domainMax, rangeMin, rangeMax) {
  const span = domainMax - domainMin || 1;
  return (v) => rangeMin + ((v - domainMin) / span) * (rangeMax - rangeMin);
}

// Round tick values from at most min to at least max, so that every value lies on the axis.
function niceTicks(min, max, count = 5) {
  const span = max - min || 1;
  const magnitude = 10 ** Math.floor(Math.log10(span / count));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude)
    .find((s) => Math.ceil(max / s) - Math.floor(min / s) <= count) ?? magnitude * 10;
  const ticks = [];
  for (let i = Math.floor(min / step); i <= Math.ceil(max / step); i++) {
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return ticks;
}

function axis(svg, { x0, x1, y0, y1 }, ticks, scale, orientation, label, rotated = false) {
  const g = element('g', { class: `axis axis-${orientation}` }, svg);
  if (orientation === 'bottom') {
    element('line', { x1: x0, x2: x1, y1: y0, y2: y0 }, g);
    for (const t of ticks) {
      const x = scale(t);
      element('line', { x1: x, x2: x, y1: y0, y2: y0 + 4 }, g);
      text(g, x, y0 + 16, formatTick(t), { 'text-anchor': 'middle' });
    }
    text(g, (x0 + x1) / 2, y0 + 32, label, { 'text-anchor': 'middle', class: 'axis-label' });
  } else {
    const x = orientation === 'left' ? x0 : x1;
    const dir = orientation === 'left' ? -1 : 1;
    element('line', { x1: x, x2: x, y1: y0, y2: y1 }, g);
    for (const t of ticks) {
      const y = scale(t);
      element('line', { x1: x, x2: x + 4 * dir, y1: y, y2: y }, g);
      text(g, x + 7 * dir, y + 4, formatTick(t), { 'text-anchor': orientation === 'left' ? 'end' : 'start' });
    }
    if (rotated) {
      // Along the axis, left of the tick labels: clear of the plot whatever the data's extent.
      const at = { x: x0 - MARGIN_ROTATED + 12, y: (y0 + y1) / 2 };
      text(g, at.x, at.y, label, { 'text-anchor': 'middle', class: 'axis-label',
        transform: `rotate(-90 ${at.x} ${at.y})` });
    } else {
      text(g, x, y1 - 10, label, { 'text-anchor': orientation === 'left' ? 'start' : 'end', class: 'axis-label' });
    }
  }
}

// The plot area, invisible: the browser test checks that no axis title lies on it.
function plotArea(svg, { x0, x1, y0, y1 }) {
  element('rect', { class: 'plot-area', x: x0, y: y1, width: x1 - x0, height: y0 - y1, fill: 'none',
    'pointer-events': 'none' }, svg);
}

function formatTick(value) {
  return Math.abs(value) >= 1000 ? value.toLocaleString('en') : String(Number(value.toPrecision(4)));
}

function legend(container, entries) {
  const list = document.createElement('ul');
  list.className = 'legend';
  for (const { name, colour, dashed } of entries) {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = dashed ? 'swatch dashed' : 'swatch';
    swatch.style.background = dashed ? 'none' : colour;
    swatch.style.borderColor = colour;
    item.append(swatch, document.createTextNode(name));
    list.appendChild(item);
  }
  container.appendChild(list);
}

// Grouped bars: one group per category (e.g. an entropy bin), one bar per series in each group.
export function groupedBars(container, { title, categories, series, xLabel, yLabel, width = 460, height = 240 }) {
  const figure = document.createElement('figure');
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.appendChild(caption);
  const svg = frame(width, height);
  const box = { x0: MARGIN.left, x1: width - MARGIN.right / 2, y0: height - MARGIN.bottom, y1: MARGIN.top };
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const yTicks = niceTicks(0, max);
  const y = linear(0, yTicks[yTicks.length - 1], box.y0, box.y1);
  const groupWidth = (box.x1 - box.x0) / categories.length;
  const barWidth = (groupWidth * 0.8) / series.length;
  categories.forEach((category, i) => {
    series.forEach((s, j) => {
      const value = s.values[i];
      const rect = element('rect', {
        class: `bar ${s.className}`,
        x: box.x0 + i * groupWidth + groupWidth * 0.1 + j * barWidth,
        y: y(value),
        width: Math.max(barWidth - 1, 1),
        height: Math.max(box.y0 - y(value), 0),
        fill: s.colour
      }, svg);
      element('title', {}, rect).textContent = `${category.label}: ${s.name} ${value}`;
    });
  });
  const ticks = categories.map((c, i) => ({ at: box.x0 + (i + 0.5) * groupWidth, label: c.tick }));
  const g = element('g', { class: 'axis axis-bottom' }, svg);
  element('line', { x1: box.x0, x2: box.x1, y1: box.y0, y2: box.y0 }, g);
  const every = Math.ceil(categories.length / 10);
  ticks.forEach((t, i) => {
    if (i % every === 0) {
      text(g, t.at, box.y0 + 16, t.label, { 'text-anchor': 'middle' });
    }
  });
  text(g, (box.x0 + box.x1) / 2, box.y0 + 32, xLabel, { 'text-anchor': 'middle', class: 'axis-label' });
  axis(svg, box, yTicks, y, 'left', yLabel);
  plotArea(svg, box);
  figure.appendChild(svg);
  legend(figure, series.map((s) => ({ name: s.name, colour: s.colour })));
  container.appendChild(figure);
}

// Lines over a shared x axis; each series on the left or the right y axis; optional vertical marker.
export function lines(container, { series, xLabel, leftLabel, rightLabel, marker, width = 460, height = 260 }) {
  const figure = document.createElement('figure');
  const svg = frame(width, height);
  const box = { x0: MARGIN.left, x1: width - MARGIN.right, y0: height - MARGIN.bottom, y1: MARGIN.top };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs));
  const x = linear(Math.min(...xs), Math.max(...xs), box.x0, box.x1);
  const scales = {};
  for (const side of ['left', 'right']) {
    const values = series.filter((s) => s.axis === side).flatMap((s) => s.points.map((p) => p.y))
      .filter(Number.isFinite);
    if (values.length === 0) {
      continue;
    }
    const ticks = side === 'right' ? niceTicks(0, 1) : niceTicks(0, Math.max(...values));
    scales[side] = linear(0, ticks[ticks.length - 1], box.y0, box.y1);
    axis(svg, box, ticks, scales[side], side, side === 'left' ? leftLabel : rightLabel);
  }
  axis(svg, box, xTicks, x, 'bottom', xLabel);
  plotArea(svg, box);
  for (const s of series) {
    const y = scales[s.axis];
    const path = s.points.filter((p) => Number.isFinite(p.y)).map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`);
    element('polyline', { class: 'line', points: path.join(' '), stroke: s.colour, fill: 'none' }, svg);
  }
  if (marker !== undefined && marker !== null) {
    element('line', { class: 'marker', x1: x(marker.x), x2: x(marker.x), y1: box.y0, y2: box.y1 }, svg);
    text(svg, x(marker.x) + 4, box.y1 + 10, marker.label, { class: 'marker-label' });
  }
  figure.appendChild(svg);
  legend(figure, [...series.map((s) => ({ name: s.name, colour: s.colour })),
    ...(marker ? [{ name: marker.label, colour: '#555', dashed: true }] : [])]);
  container.appendChild(figure);
}

// A scatter plot of points {x, y, colour, title}.
export function scatter(container, { points, legendEntries, width = 460, height = 400 }) {
  const figure = document.createElement('figure');
  const svg = frame(width, height);
  const box = { x0: MARGIN_ROTATED, x1: width - MARGIN.right / 2, y0: height - MARGIN.bottom, y1: MARGIN.top / 2 };
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs));
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys));
  const x = linear(xTicks[0], xTicks[xTicks.length - 1], box.x0, box.x1);
  const y = linear(yTicks[0], yTicks[yTicks.length - 1], box.y0, box.y1);
  axis(svg, box, xTicks, x, 'bottom', 'principal component 1');
  axis(svg, box, yTicks, y, 'left', 'principal component 2', true);
  plotArea(svg, box);
  const g = element('g', { class: 'points' }, svg);
  for (const p of points) {
    const dot = element('circle', { class: 'point', cx: x(p.x).toFixed(1), cy: y(p.y).toFixed(1), r: 2.2,
      fill: p.colour }, g);
    element('title', {}, dot).textContent = p.title;
  }
  figure.appendChild(svg);
  legend(figure, legendEntries);
  container.appendChild(figure);
}
