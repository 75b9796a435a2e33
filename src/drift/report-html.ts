/**
 * The drift page: one self-contained HTML file (inline CSS and JS, no fetch,
 * no external asset). Pure: ReportData in, a string out. The matrix is plain
 * HTML, so it reads without JS; the script adds tooltips and the filter.
 * Built for 100 companies × 200 skills: 18 px cells, sticky headers, and a
 * compact data block (commits are listed once and referenced by index).
 */
import type { SkillState } from '../merge/decide.js';
import type { ChangeInfo, ReportData } from './report-data.js';

export const STATE_STYLE: Record<SkillState, { color: string; mark: string; label: string }> = {
  conflict: { color: '#ff6b6b', mark: '✕', label: "conflict: the company's folders hold different edits" },
  'override-behind': { color: '#ff9f6b', mark: '▲', label: 'override, library moved on' },
  override: { color: '#b99cff', mark: '●', label: 'override (company version kept)' },
  behind: { color: '#ffd966', mark: '↓', label: 'behind (next sync updates it)' },
  new: { color: '#9fd3ff', mark: '+', label: 'new (next sync adds it)' },
  'removed-upstream': { color: '#cfcfcf', mark: '−', label: 'removed upstream (next sync removes it)' },
  'company-only': { color: '#e4e4f7', mark: '◇', label: 'company-only' },
  'git-checkout': { color: '#d9e7f2', mark: '⎇', label: "git checkout (the company's own; push applies the library)" },
  'in-sync': { color: '#cdeccd', mark: '', label: 'in sync' },
};
const STATES = Object.keys(STATE_STYLE) as SkillState[];

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const short = (oid: string | null | undefined) => (oid ? oid.slice(0, 7) : '—');
/** Commit subjects can list hundreds of skills. */
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function age(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** The data the script needs, with each commit listed once. */
function clientData(d: ReportData) {
  const commits: [string, string, string, boolean][] = [];
  const index = new Map<string, number>();
  const ref = (c: ChangeInfo) => {
    const key = `${c.commit}${c.orOlder}`;
    if (!index.has(key)) index.set(key, commits.push([short(c.commit), c.date.slice(0, 16).replace('T', ' '), clip(c.subject, 100), c.orOlder]) - 1);
    return index.get(key)!;
  };
  const reasons: Record<string, [string | null, string | null]> = {};
  for (const o of d.drift.overrides) reasons[`${o.company}/${o.skill}`] = [o.reason?.text ?? null, o.staleReason?.text ?? null];
  return {
    skills: d.skills,
    library: Object.fromEntries(Object.entries(d.libraryChanges).map(([s, c]) => [s, ref(c)])),
    companies: d.companies.map((c) => ({
      name: c.name,
      dist: short(c.distributedCommit),
      last: Object.fromEntries(Object.entries(c.lastChange).map(([s, ch]) => [s, ref(ch)])),
      unrecorded: c.unrecorded,
    })),
    commits,
    reasons,
    labels: Object.fromEntries(STATES.map((s) => [s, STATE_STYLE[s].label])),
  };
}

function matrix(d: ReportData, now: number): string {
  const unexplained = new Set(d.drift.unexplained.map((u) => `${u.company}/${u.skill}`));
  const head = d.skills.map((s) => `<th class="sk" title="${esc(s)}"><span>${esc(s)}</span></th>`).join('');
  const rows = d.companies.map((c) => {
    const label = `${esc(c.name)} <small>${c.ok ? age(c.lastSync, now) : 'FAILED'}</small>`;
    const title = c.ok ? `last sync ${c.lastSync ?? 'never'}` : (c.error ?? 'failed');
    const cells = d.skills.map((s) => {
      const st = c.states[s];
      if (!st) return '<td></td>';
      return `<td data-s="${st}"${unexplained.has(`${c.name}/${s}`) ? ' class="u"' : ''}>${STATE_STYLE[st].mark}</td>`;
    });
    return `<tr><th class="co${c.ok ? '' : ' failed'}" title="${esc(title)}">${label}</th>${cells.join('')}</tr>`;
  });
  return `<div class="wrap" id="wrap"><table class="m" id="m"><thead><tr><th class="corner">company \\ skill</th>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div>`;
}

function list(title: string, id: string, header: string[], rows: string[][], empty: string): string {
  const body = rows.length
    ? `<table class="l"><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((x) => `<td>${x}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
    : `<p>${esc(empty)}</p>`;
  return `<details id="${id}" open><summary>${esc(title)} (${rows.length})</summary>${body}</details>`;
}

export function renderReport(d: ReportData, now = Date.parse(d.generatedAt)): string {
  const totals = Object.fromEntries(STATES.map((s) => [s, d.companies.reduce((n, c) => n + c.counts[s], 0)])) as Record<SkillState, number>;
  const legend = STATES.map(
    (s) => `<span class="lg"><i style="background:${STATE_STYLE[s].color}">${STATE_STYLE[s].mark}</i>${esc(STATE_STYLE[s].label)}: <b id="n-${s}">${totals[s]}</b></span>`,
  ).join('');
  const synced = d.companies.filter((c) => c.lastSync).sort((a, b) => (a.lastSync! < b.lastSync! ? -1 : 1));
  const never = d.companies.filter((c) => !c.lastSync).map((c) => c.name);
  const failed = d.companies.filter((c) => !c.ok).map((c) => c.name);
  const syncLine = [
    synced.length ? `oldest last sync: ${esc(synced[0].name)} ${age(synced[0].lastSync, now)} ago; newest: ${age(synced[synced.length - 1].lastSync, now)} ago` : '',
    never.length ? `never synced: ${esc(never.join(', '))}` : '',
    failed.length ? `<b class="bad">failed: ${esc(failed.join(', '))}</b>` : '',
  ].filter(Boolean).join(' · ');
  const lastRun = d.lastRun ? `last run ${esc(d.lastRun.at)} ${d.lastRun.ok ? 'ok' : `<b class="bad">exit ${d.lastRun.exitCode ?? 1}${d.lastRun.failed.length ? `, failed: ${esc(d.lastRun.failed.join(', '))}` : ''}</b>`}` : 'no run recorded';
  // The health verdict, reason by reason, as `library status --check` prints it.
  const health = d.health.ok
    ? '<div id="health" class="meta" data-ok="true">healthy: every check of <code>library status --check</code> passes</div>'
    : `<div id="health" class="bad" data-ok="false"><b>unhealthy</b> (<code>library status --check</code> fails):<ul>${d.health.problems.map((p) => `<li data-check="${esc(p.check)}"><b>${esc(p.check)}</b>: ${esc(p.message)}; fix: ${esc(p.fix)}</li>`).join('')}</ul></div>`;
  const remotes = d.remotes.length
    ? d.remotes.map((r) => `${esc(r.ref.replace('refs/remotes/', ''))} at ${short(r.commit)} (${esc(r.date)})`).join('; ')
    : 'none configured';
  const opts = ['<option value="">all states</option>', '<option value="drift">drift only (not in sync)</option>', ...STATES.map((s) => `<option value="${s}">${s}</option>`)];
  const dr = d.drift;
  const reasonCell = (o: (typeof dr.overrides)[number]) => (o.reason ? esc(o.reason.text) : `<b class="bad">unexplained</b>${o.staleReason ? ` (earlier version: ${esc(o.staleReason.text)})` : ''}`);
  const css = `body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#222}header{padding:10px 16px}h1{font-size:18px;margin:0 0 4px}
.meta{color:#555}.bad{color:#b00}.lg{display:inline-block;margin:4px 12px 0 0}.lg i{display:inline-block;width:16px;height:16px;margin-right:4px;text-align:center;font-style:normal;vertical-align:middle;border-radius:2px}
.tools{margin:8px 0 0}#filter{width:260px;padding:3px 6px}#shown{color:#555;margin-left:8px}
.wrap{overflow:auto;max-height:calc(100vh - 190px);margin:0 16px;border:1px solid #bbb}
table.m{border-collapse:separate;border-spacing:0}table.m td{width:18px;min-width:18px;max-width:18px;height:18px;padding:0;text-align:center;font-size:11px;border-right:1px solid #fff;border-bottom:1px solid #fff}
table.m thead th{position:sticky;top:0;background:#fff;z-index:2;border-bottom:1px solid #bbb}
th.sk{height:120px;vertical-align:bottom;padding:2px 0;font-weight:normal;width:18px;min-width:18px;max-width:18px}th.sk span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;max-height:116px;overflow:hidden}
th.co{position:sticky;left:0;background:#fff;z-index:1;text-align:left;white-space:nowrap;padding:0 8px;font-weight:normal;border-right:1px solid #bbb;max-width:220px;overflow:hidden;text-overflow:ellipsis}
th.co small{color:#777}th.failed{color:#b00}table.m th.corner{left:0;z-index:3;border-right:1px solid #bbb;vertical-align:bottom;text-align:left;padding:4px 8px;color:#777;font-weight:normal}
${STATES.map((s) => `td[data-s="${s}"]{background:${STATE_STYLE[s].color}}`).join('\n')}
td.u{outline:2px solid #d00;outline-offset:-2px}td.dim{opacity:.15}tbody tr:hover th.co{background:#eef}
#tip{position:fixed;z-index:9;background:#222;color:#fff;padding:6px 8px;border-radius:4px;max-width:420px;pointer-events:none;font-size:12px}#tip div{margin:1px 0}
section{padding:8px 16px}details{margin:8px 0}summary{font-weight:600;cursor:pointer}table.l{border-collapse:collapse}table.l td,table.l th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Skill drift: ${d.companies.length} companies × ${d.skills.length} skills</title>
<style>${css}</style></head><body>
<header><h1>Skill drift</h1>
${health}
<div class="meta">generated ${esc(d.generatedAt)} · library ${d.libraryCommit ? short(d.libraryCommit) : '(changed since the last sync --fix)'} from ${esc(d.librarySource)} · ${lastRun}</div>
<div class="meta">${d.companies.length} companies × ${d.skills.length} skills · ${syncLine || 'no companies'} · remotes: ${remotes}</div>
<div>${legend}<span class="lg"><i style="outline:2px solid #d00;outline-offset:-2px"></i>unexplained drift: <b id="n-unexplained">${dr.unexplained.length}</b></span></div>
<div class="tools"><input id="filter" type="search" placeholder="filter companies or skills" autocomplete="off"> <select id="state">${opts.join('')}</select><span id="shown"></span></div>
</header>
${matrix(d, now)}
<section>
${list('Unexplained drift', 'unexplained', ['company', 'skill', 'state', 'earlier reason'], dr.unexplained.map((u) => { const o = dr.overrides.find((x) => x.company === u.company && x.skill === u.skill); return [esc(u.company), esc(u.skill), u.state, o?.staleReason ? esc(o.staleReason.text) : '']; }), 'every override has a recorded reason')}
${list('Promote candidates: the same override in several companies', 'promote', ['skill', 'version', 'companies', 'command'], dr.promoteCandidates.map((p) => [esc(p.skill), short(p.tree), esc(p.companies.join(', ')), `<code>library promote ${esc(p.skill)} --from ${esc(p.companies[0])}</code>`]), 'none')}
${list('Overrides', 'overrides', ['company', 'skill', 'state', 'reason'], dr.overrides.map((o) => [esc(o.company), esc(o.skill), o.state, reasonCell(o)]), 'no overrides')}
${list('File conflicts from the last sync (company versions kept)', 'conflicts', ['company', 'skill', 'file', 'why'], dr.conflicts.map((c) => [esc(c.company), esc(c.skill), esc(c.path), esc(c.reason)]), 'none')}
</section>
<div id="tip" hidden></div>
<script type="application/json" id="data">${JSON.stringify(clientData(d)).replace(/</g, '\\u003c')}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

/** Tooltips and the filter. Text goes in with textContent only, never innerHTML. */
const SCRIPT = `(function(){
var D=JSON.parse(document.getElementById('data').textContent);
var m=document.getElementById('m'),tip=document.getElementById('tip'),q=document.getElementById('filter'),sel=document.getElementById('state'),shown=document.getElementById('shown');
var rows=Array.prototype.slice.call(m.tBodies[0].rows),heads=Array.prototype.slice.call(m.tHead.rows[0].cells,1);
function commit(i){if(i===undefined)return null;var c=D.commits[i];return c[0]+' '+c[1]+' \\u201c'+c[2]+'\\u201d'+(c[3]?' (or older)':'');}
function lines(r,k){var c=D.companies[r],s=D.skills[k],td=rows[r].cells[k+1],st=td.getAttribute('data-s');var out=[c.name+' / '+s+': '+(st?D.labels[st]:'not present')];
 var re=D.reasons[c.name+'/'+s];if(re){out.push(re[0]?'reason: '+re[0]:'unexplained drift: no reason recorded'+(re[1]?' (earlier version: '+re[1]+')':''));}
 if(c.unrecorded.indexOf(s)>=0)out.push('last change: edited since the last sync (not recorded yet)');else if(c.last[s]!==undefined)out.push('last change: '+commit(c.last[s]));
 if(D.library[s]!==undefined)out.push('library: '+commit(D.library[s]));out.push('distributed to '+c.name+': library '+c.dist);return out;}
m.addEventListener('mouseover',function(e){var td=e.target.closest('td');if(!td){tip.hidden=true;return;}
 var r=rows.indexOf(td.parentElement),k=td.cellIndex-1;if(r<0||k<0){tip.hidden=true;return;}
 tip.textContent='';lines(r,k).forEach(function(t){var d=document.createElement('div');d.textContent=t;tip.appendChild(d);});tip.hidden=false;
 var b=td.getBoundingClientRect();tip.style.left=Math.min(b.right+6,window.innerWidth-430)+'px';tip.style.top=Math.min(b.bottom+6,window.innerHeight-tip.offsetHeight-4)+'px';});
m.addEventListener('mouseleave',function(){tip.hidden=true;});
function apply(){var t=q.value.trim().toLowerCase(),st=sel.value;
 var rm=D.companies.map(function(c){return c.name.toLowerCase().indexOf(t)>=0;}),cm=D.skills.map(function(s){return s.toLowerCase().indexOf(t)>=0;});
 var anyR=rm.some(Boolean),anyC=cm.some(Boolean);
 var rOk=rm.map(function(x){return !t||(anyR?x:anyC);}),cOk=cm.map(function(x){return !t||(anyC?x:anyR);});
 function hit(td){var s=td.getAttribute('data-s');return !st||(st==='drift'?(s&&s!=='in-sync'):s===st);}
 if(st){var rh=rows.map(function(){return false;}),ch=heads.map(function(){return false;});
  rows.forEach(function(tr,i){if(!rOk[i])return;for(var k=0;k<heads.length;k++)if(cOk[k]&&hit(tr.cells[k+1])){rh[i]=true;ch[k]=true;}});rOk=rh;cOk=ch;}
 rows.forEach(function(tr,i){tr.style.display=rOk[i]?'':'none';if(!rOk[i])return;for(var k=0;k<heads.length;k++){var td=tr.cells[k+1];td.style.display=cOk[k]?'':'none';td.classList.toggle('dim',!!st&&!hit(td));}});
 heads.forEach(function(th,k){th.style.display=cOk[k]?'':'none';});
 shown.textContent=(t||st)?'showing '+rOk.filter(Boolean).length+' of '+rows.length+' companies, '+cOk.filter(Boolean).length+' of '+heads.length+' skills':'';}
q.addEventListener('input',apply);sel.addEventListener('change',apply);
})();`;
