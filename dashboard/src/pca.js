// The leading principal components of a set of vectors, for the 2-D embedding plot of typed models (whose
// gat.embed.stream has no pcaDimensions): centre the rows, then power iteration on their covariance, each
// component taken out of the covariance before the next.
const ITERATIONS = 200;

export function principalComponents(rows, dimensions = 2) {
  if (rows.length === 0) {
    return [];
  }
  const width = rows[0].length;
  const mean = new Array(width).fill(0);
  for (const row of rows) {
    row.forEach((v, j) => { mean[j] += v / rows.length; });
  }
  const centred = rows.map((row) => row.map((v, j) => v - mean[j]));
  const covariance = Array.from({ length: width }, () => new Array(width).fill(0));
  for (const row of centred) {
    for (let i = 0; i < width; i++) {
      for (let j = i; j < width; j++) {
        covariance[i][j] += row[i] * row[j];
      }
    }
  }
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < i; j++) {
      covariance[i][j] = covariance[j][i];
    }
  }
  const components = [];
  for (let c = 0; c < Math.min(dimensions, width); c++) {
    // A fixed, non-degenerate start: the result does not depend on chance.
    let vector = Array.from({ length: width }, (_, j) => 1 + j / width);
    let value = 0;
    for (let step = 0; step < ITERATIONS; step++) {
      const next = covariance.map((row) => row.reduce((sum, v, j) => sum + v * vector[j], 0));
      const norm = Math.hypot(...next);
      if (norm === 0) {
        break;
      }
      vector = next.map((v) => v / norm);
      value = norm;
    }
    components.push(vector);
    for (let i = 0; i < width; i++) {
      for (let j = 0; j < width; j++) {
        covariance[i][j] -= value * vector[i] * vector[j];
      }
    }
  }
  return centred.map((row) => components.map((vector) => row.reduce((sum, v, j) => sum + v * vector[j], 0)));
}
