// Opens the dashboard in headless Chromium, waits until it has drawn everything (or failed), checks what
// was rendered, saves a screenshot and prints one JSON line with the findings. Exit code 0 when the page
// drew without errors, with no card content wider than its card and no axis title on a plot; 1 otherwise.
// Usage: node test/browser-check.mjs <page-url> <screenshot.png> [chromium-executable]
import { chromium } from 'playwright-core';

const [url, screenshot, executable = process.env.CHROMIUM ?? '/usr/bin/chromium'] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node test/browser-check.mjs <page-url> <screenshot.png> [chromium-executable]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: executable,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});  // Playwright gives the browser a fresh, temporary profile of its own.
const findings = { url, consoleErrors: [], pageErrors: [], failedRequests: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
  page.on('console', (message) => {
    if (message.type() === 'error') {
      findings.consoleErrors.push(message.text());
    }
  });
  page.on('pageerror', (error) => findings.pageErrors.push(String(error)));
  page.on('requestfailed', (request) => findings.failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 120_000 });
  Object.assign(findings, await page.evaluate(() => {
    // Content wider than its card: any element reaching past the card's inner edge (the card would cut it off
    // or the page would scroll sideways).
    const overflowingCards = [];
    for (const card of document.querySelectorAll('main > section')) {
      const box = card.getBoundingClientRect();
      const style = getComputedStyle(card);
      const left = box.left + parseFloat(style.borderLeftWidth);
      const right = box.right - parseFloat(style.borderRightWidth);
      let found = 0;
      for (const inner of card.querySelectorAll('*')) {
        const r = inner.getBoundingClientRect();
        if (r.width > 0 && (r.right > right + 0.5 || r.left < left - 0.5) && found++ < 3) {
          overflowingCards.push(`${card.id}: <${inner.tagName.toLowerCase()}${inner.id ? `#${inner.id}` : ''}> spans `
            + `${r.left.toFixed(0)}..${r.right.toFixed(0)} px, the card ${left.toFixed(0)}..${right.toFixed(0)}`);
        }
      }
    }
    // Axis titles must lie inside their chart, off its plot area and clear of every other text.
    const overlappingAxisTitles = [];
    const intersects = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5
      && b.top < a.bottom - 0.5;
    for (const svg of document.querySelectorAll('svg.chart')) {
      const frame = svg.getBoundingClientRect();
      const plot = svg.querySelector('rect.plot-area')?.getBoundingClientRect();
      const texts = [...svg.querySelectorAll('text')];
      for (const title of svg.querySelectorAll('text.axis-label')) {
        const r = title.getBoundingClientRect();
        const where = `${svg.closest('section')?.id ?? 'chart'}: axis title '${title.textContent}'`;
        if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5 || r.top < frame.top - 0.5
          || r.bottom > frame.bottom + 0.5) {
          overlappingAxisTitles.push(`${where} leaves its chart`);
        }
        if (plot && intersects(r, plot)) {
          overlappingAxisTitles.push(`${where} lies on the plot`);
        }
        for (const other of texts) {
          if (other !== title && intersects(r, other.getBoundingClientRect())) {
            overlappingAxisTitles.push(`${where} overlaps '${other.textContent}'`);
          }
        }
      }
    }
    // Pixels of the graph canvas that are not background: proof that NVL drew, not just laid out.
    const canvases = [...document.querySelectorAll('#graph canvas')];
    let inkedPixels = 0;
    for (const canvas of canvases) {
      const context = canvas.getContext('2d');
      if (!context || canvas.width === 0 || canvas.height === 0) {
        continue;
      }
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) {
        const alpha = data[i + 3];
        const white = data[i] > 245 && data[i + 1] > 245 && data[i + 2] > 245;
        if (alpha > 0 && !white) {
          inkedPixels++;
        }
      }
    }
    const banner = document.getElementById('error');
    return {
      ready: document.body.dataset.ready,
      error: !banner || banner.hidden ? null : banner.textContent,
      summary: document.getElementById('summary')?.textContent ?? null,
      overflowingCards,
      overlappingAxisTitles,
      whyNodesDrawn: Number(document.body.dataset.whyNodesDrawn ?? 0),
      whyEdgesDrawn: Number(document.body.dataset.whyEdgesDrawn ?? 0),
      whyFlipMarkers: Number(document.body.dataset.whyFlipMarkers ?? 0),
      whyFeatureItems: Number(document.body.dataset.whyFeatureItems ?? 0),
      whyRelationshipRows: document.querySelectorAll('#why-relationships tbody tr').length,
      whyPrediction: document.getElementById('why-prediction')?.textContent ?? null,
      nodesDrawn: Number(document.body.dataset.nodesDrawn ?? 0),
      arrowsDrawn: Number(document.body.dataset.arrowsDrawn ?? 0),
      graphCanvases: canvases.length,
      graphInkedPixels: inkedPixels,
      histogramCharts: document.querySelectorAll('#histograms figure').length,
      histogramBars: document.querySelectorAll('#histograms rect.bar').length,
      nonEmptyHistogramBars: [...document.querySelectorAll('#histograms rect.bar')]
        .filter((bar) => Number(bar.getAttribute('height')) > 0).length,
      historyLines: document.querySelectorAll('#history polyline.line').length,
      confusionRows: document.querySelectorAll('#confusion tbody tr').length,
      embeddingPoints: document.querySelectorAll('#embedding circle.point').length,
      centreAttentionRows: document.querySelectorAll('#centre-attention tbody tr').length,
      modelSectionShown: document.getElementById('model-section')?.hidden === false,
      nodeTypeRows: document.querySelectorAll('#node-types tbody tr').length,
      relationRows: document.querySelectorAll('#relations tbody tr').length,
      relationImportanceCells: [...document.querySelectorAll('#relations tbody td')]
        .filter((cell) => /^\d\.\d{3}$/.test(cell.textContent)).length,
      histogramTitles: [...document.querySelectorAll('#histograms figcaption')].map((c) => c.textContent),
    };
  }));
  await page.screenshot({ path: screenshot, fullPage: true });
  findings.screenshot = screenshot;
} catch (error) {
  findings.failure = String(error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(findings));
const clean = findings.ready === 'true' && !findings.failure && findings.consoleErrors.length === 0
  && findings.pageErrors.length === 0 && findings.overflowingCards?.length === 0
  && findings.overlappingAxisTitles?.length === 0;
process.exit(clean ? 0 : 1);
