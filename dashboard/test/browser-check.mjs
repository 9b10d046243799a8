// Opens the dashboard in headless Chromium, waits until it has drawn everything (or failed), checks what
// was rendered, saves a screenshot and prints one JSON line with the findings. Exit code 0 when the page
// drew without errors, 1 otherwise.
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
    return {
      ready: document.body.dataset.ready,
      error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
      summary: document.getElementById('summary').textContent,
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
  && findings.pageErrors.length === 0;
process.exit(clean ? 0 : 1);
