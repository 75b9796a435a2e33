/**
 * The drift page, checked in a real headless Chromium (Debian's `chromium`,
 * driven by playwright-core). Screenshots go to test-output/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SkillState } from '../../src/merge/decide.js';
import type { ReportData } from '../../src/drift/report-data.js';
import { renderReport } from '../../src/drift/report-html.js';
import { ROOT, cleanupTempDirs, cli, exampleWorkspace, tempDir } from '../helpers.js';

const CHROMIUM = process.env.LIBRARY_SYNC_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  process.stderr.write(`\n!!!!!! SKIPPING the drift page's browser tests: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does it) !!!!!!\n\n`);
}
const OUT = path.join(ROOT, 'test-output');
const STATES: SkillState[] = ['override-behind', 'override', 'behind', 'new', 'removed-upstream', 'company-only', 'in-sync'];

afterAll(cleanupTempDirs);

/** Open a page from a file, recording every request it makes. */
async function open(browser: Browser, file: string, viewport = { width: 1280, height: 800 }): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${file}`);
  expect(errors).toEqual([]);
  return { page, requests };
}

const visibleRows = (page: Page) =>
  page.$$eval('#m tbody tr', (trs) => trs.filter((tr) => (tr as HTMLElement).style.display !== 'none').map((tr) => tr.querySelector('th')!.firstChild!.textContent!.trim()));
const visibleSkills = (page: Page) =>
  page.$$eval('#m thead th.sk', (ths) => ths.filter((th) => (th as HTMLElement).style.display !== 'none').map((th) => th.textContent));

describe('library report --html', () => {
  it('refuses a file in a missing folder with exit 2', () => {
    const ws = exampleWorkspace();
    const res = cli(ws, ['report', '--html', path.join(ws.root, 'nope', 'r.html')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/folder .*nope does not exist/);
  });
});

describe.skipIf(!hasChromium)('the drift page in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the states of status --json, reasons in tooltips, the lists, and filters; fetches nothing', async () => {
    const ws = exampleWorkspace();
    const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, merge: 'file' }));
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const reason = 'CodeCraft scans paper invoices <b>OCR</b> first';
    expect(cli(ws, ['override', 'pdf', '--company', 'CodeCraft', '--reason', reason]).code).toBe(0);
    fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), 'Library rule.\n'); // a conflict with CodeCraft's edit
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    for (const c of ['CodeCraft', 'Northwind']) fs.appendFileSync(path.join(ws.companyDir(c), 'xlsx', 'SKILL.md'), 'Same fix.\n');
    fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), 'Library change.\n');

    const file = path.join(ws.root, 'drift.html');
    const res = cli(ws, ['report', '--html', file]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/3 companies × 5 skills, 3 overrides \(2 unexplained\), 1 promote candidates/);
    const status = cli(ws, ['status', '--json']).json;

    const { page, requests } = await open(browser, file);
    await page.screenshot({ path: path.join(OUT, 'report.png'), fullPage: true });
    expect(fs.statSync(path.join(OUT, 'report.png')).size).toBeGreaterThan(10_000);
    // Cell counts per state match status --json, and so does every cell.
    for (const s of STATES) {
      const expected = status.companies.reduce((n: number, c: any) => n + c.counts[s], 0);
      expect(await page.locator(`#m td[data-s="${s}"]`).count(), s).toBe(expected);
    }
    const skills = await visibleSkills(page);
    for (const c of status.companies) {
      const cells = await page.$$eval(`#m tbody tr`, (trs, name) => {
        const tr = trs.find((t) => t.querySelector('th')!.firstChild!.textContent!.trim() === name)!;
        return [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-s'));
      }, c.name);
      const expected = skills.map((s) => c.skills.find((x: any) => x.name === s)?.state ?? null);
      expect(cells).toEqual(expected);
    }
    expect(await page.locator('#m td.u').count()).toBe(status.drift.unexplained.length);

    // The tooltip: the reason (as text, not markup), the last change, the library commit.
    const col = skills.indexOf('pdf');
    await page.locator('#m tbody tr').filter({ hasText: 'CodeCraft' }).locator('td').nth(col).hover();
    const tip = (await page.locator('#tip').innerText()).split('\n');
    expect(tip[0]).toBe('CodeCraft / pdf: override, library moved on');
    expect(tip).toContain(`reason: ${reason}`);
    expect(tip.find((l) => l.startsWith('last change: '))).toMatch(/^last change: [0-9a-f]{7} \d{4}-\d\d-\d\d \d\d:\d\d “observe CodeCraft: initial state, 1 skill”$/); // its customization predates the tool
    expect(tip.find((l) => l.startsWith('library: '))).toMatch(/^library: [0-9a-f]{7} .*“library: updated pdf”/);
    await page.locator('#m tbody tr').filter({ hasText: 'Northwind' }).locator('td').nth(skills.indexOf('xlsx')).hover();
    expect(await page.locator('#tip').innerText()).toContain('unexplained drift: no reason recorded');

    // The lists.
    expect(await page.locator('#promote tbody tr').innerText()).toMatch(/xlsx\s+[0-9a-f]{7}\s+CodeCraft, Northwind\s+library promote xlsx --from CodeCraft/);
    expect(await page.locator('#unexplained tbody tr').count()).toBe(2);
    expect(await page.locator('#conflicts tbody tr').innerText()).toMatch(/CodeCraft\s+pdf\s+SKILL\.md\s+changed on both sides/);
    expect(await page.locator('#overrides').innerText()).toContain(reason);

    // The filter: by company, by skill, by state.
    await page.fill('#filter', 'north');
    expect(await visibleRows(page)).toEqual(['Northwind']);
    expect(await visibleSkills(page)).toEqual(skills);
    await page.fill('#filter', 'xlsx');
    expect(await visibleRows(page)).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);
    expect(await visibleSkills(page)).toEqual(['xlsx']);
    await page.fill('#filter', '');
    await page.selectOption('#state', 'behind');
    expect(await visibleSkills(page)).toEqual(['docx']);
    expect(await page.locator('#shown').innerText()).toMatch(/showing \d of 3 companies, 1 of 5 skills/);
    await page.screenshot({ path: path.join(OUT, 'report-filtered.png') });

    expect(requests).toEqual([`file://${file}`]);
    await page.close();
  });

  it('stays readable at 100 companies × 200 skills: sticky headers while scrolling, and the filter', async () => {
    const data = syntheticReport(100, 200);
    const file = path.join(tempDir(), 'big.html');
    fs.writeFileSync(file, renderReport(data));
    const { page, requests } = await open(browser, file);
    expect(await page.locator('#m td').count()).toBe(20_000);
    for (const s of STATES) {
      expect(await page.locator(`#m td[data-s="${s}"]`).count(), s).toBe(data.companies.reduce((n, c) => n + c.counts[s], 0));
    }
    // Scroll to the far corner: the skill names and company names stay in view.
    await page.$eval('#wrap', (w) => w.scrollTo(w.scrollWidth, w.scrollHeight));
    const wrap = (await page.locator('#wrap').boundingBox())!;
    const head = (await page.locator('#m thead th.sk').last().boundingBox())!;
    const rowHead = (await page.locator('#m tbody th.co').last().boundingBox())!;
    expect(Math.abs(head.y - wrap.y)).toBeLessThanOrEqual(2);
    expect(Math.abs(rowHead.x - wrap.x)).toBeLessThanOrEqual(2);
    expect(rowHead.y + rowHead.height).toBeLessThanOrEqual(wrap.y + wrap.height + 1);
    await page.screenshot({ path: path.join(OUT, 'report-100x200.png') });

    await page.fill('#filter', 'company-042');
    expect(await visibleRows(page)).toEqual(['company-042']);
    await page.fill('#filter', 'skill-1');
    expect((await visibleSkills(page)).length).toBe(111); // skill-1, skill-10…skill-199
    expect(requests).toEqual([`file://${file}`]);
    await page.close();
  });
});

function syntheticReport(nCompanies: number, nSkills: number): ReportData {
  const skills = Array.from({ length: nSkills }, (_, j) => `skill-${j}`);
  const at = '2026-05-01T12:00:00.000Z';
  const change = { commit: 'a'.repeat(40), date: at, subject: 'distribute library aaaaaaa', orOlder: false };
  const companies = Array.from({ length: nCompanies }, (_, i) => {
    const name = `company-${String(i).padStart(3, '0')}`;
    const states: Record<string, SkillState> = {};
    const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<SkillState, number>;
    skills.forEach((s, j) => {
      const k = (i * 7 + j * 13) % 41;
      const st: SkillState = k < 5 ? STATES[k] : k === 5 ? 'company-only' : 'in-sync';
      states[s] = st;
      counts[st]++;
    });
    return { name, dir: `/alai/${name}`, ok: true, error: null, lastSync: at, distributedCommit: 'b'.repeat(40), counts, states, lastChange: Object.fromEntries(skills.map((s) => [s, change])), unrecorded: [] };
  });
  const overrides = companies.flatMap((c) =>
    Object.entries(c.states)
      .filter(([, st]) => st === 'override' || st === 'override-behind')
      .map(([skill, state]) => ({ company: c.name, skill, state, tree: 'c'.repeat(40), reason: null, staleReason: null })),
  );
  return {
    generatedAt: at,
    libraryCommit: 'b'.repeat(40),
    librarySource: '/system/library/skills',
    lastRun: { at, ok: true, failed: [] },
    health: { ok: true, problems: [] },
    remotes: [],
    skills,
    libraryChanges: Object.fromEntries(skills.map((s) => [s, change])),
    companies,
    drift: { overrides, unexplained: overrides.map(({ company, skill, state, tree }) => ({ company, skill, state, tree })), promoteCandidates: [], conflicts: [] },
  } as ReportData;
}
