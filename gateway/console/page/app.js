/* fieldgate's technician page: health (live over server-sent events), commissioning actions
 * on the bus threads, a candidate config. Chinese by default, English on the toggle. No
 * library, nothing fetched from elsewhere. */
'use strict';
const T = {
  zh: {logout:'退出',password:'密码',login:'登录',health:'运行状况',tools:'调试',config:'配置',
    buses:'总线',sensors:'传感器',read_now:'立即读取',sensor:'传感器',raw_regs:'原始寄存器（可选）',
    kind:'类型',addr:'地址',count:'数量',read:'读取',scan:'扫描站号',bus:'总线',from:'从',to:'到',
    scan_go:'扫描',set_address:'修改站号',new_unit:'新站号',change:'修改',confirm:'确认修改',
    cancel:'取消',result:'结果',log:'操作记录',
    config_help:'粘贴或上传新的 gateway.yaml，先校验，再应用（网关随即重新加载）。',
    cfg_load:'载入当前配置',validate:'校验',apply:'应用',live:'实时',offline:'连接中断',
    synced:'时钟已同步',unsynced:'时钟未同步',journal:'本地日志',depth:'待发送',size:'大小',
    chain:'证据链',none:'尚未封存',unreadable:'无法读取',signed:'已签名',unsigned:'未签名',open_rows:'{n} 条待午夜后封存',link_up:'已连接',link_down:'未连接',
    load:'线路负载',errors:'错误',discarded:'丢弃字节',action:'进行中',ok:'正常',failing:'故障',
    stale:'数据过期',degraded:'部分异常',waiting:'等待首次读取',plot:'地块',village:'村',unit:'站号',
    last_good:'最近正常',never:'从未',fails:'连续失败',backoff:'退避中',next:'下次',ago:'前',
    in:'后',s:'秒',sink_up:'在线',sink_down:'离线',lag:'延迟',wrong_pw:'密码错误',
    busy:'忙',running:'执行中…',waiting_bus:'等待总线空闲…',done_ok:'完成',done_bad:'失败',
    q_sa:'将 {s} 的站号从 {a} 改为 {b}？（同一总线上只接这一台）',valid:'配置有效',
    invalid:'配置有错误，未做任何修改',applied:'已应用，网关正在重新加载',found:'找到的站号',
    progress:'正在探测 {u}'},
  en: {logout:'Log out',password:'Password',login:'Log in',health:'Health',tools:'Commissioning',
    config:'Config',buses:'Buses',sensors:'Sensors',read_now:'Read now',sensor:'Sensor',
    raw_regs:'Raw registers (optional)',kind:'Kind',addr:'Address',count:'Count',read:'Read',
    scan:'Scan unit ids',bus:'Bus',from:'From',to:'To',scan_go:'Scan',set_address:'Change unit id',
    new_unit:'New unit id',change:'Change',confirm:'Confirm change',cancel:'Cancel',result:'Result',
    log:'Action log',config_help:'Paste or upload a new gateway.yaml, validate it, then apply it (the gateway reloads).',
    cfg_load:'Load running config',validate:'Validate',apply:'Apply',live:'live',offline:'disconnected',
    synced:'clock synchronised',unsynced:'clock NOT synchronised',journal:'Journal',depth:'waiting',
    size:'size',chain:'Evidence chain',none:'nothing sealed yet',unreadable:'unreadable',signed:'signed',unsigned:'unsigned',open_rows:'{n} readings to seal after midnight',
    link_up:'link up',link_down:'link down',load:'line load',errors:'errors',discarded:'discarded bytes',
    action:'running',ok:'OK',failing:'FAILING',stale:'stale',degraded:'degraded',waiting:'waiting for first poll',
    plot:'plot',village:'village',unit:'unit',last_good:'last good',never:'never',fails:'consecutive failures',
    backoff:'backing off',next:'next',ago:'ago',in:'in',s:'s',sink_up:'connected',sink_down:'disconnected',
    lag:'lag',wrong_pw:'Wrong password',busy:'busy',running:'running…',waiting_bus:'waiting for the bus…',
    done_ok:'done',done_bad:'failed',q_sa:'Change {s}\'s unit id from {a} to {b}? (only this device on the line)',
    valid:'Config is valid',invalid:'Config has errors; nothing was changed',applied:'Applied; the gateway is reloading',
    found:'Unit ids found',progress:'probing {u}'}
};
let lang = localStorage.getItem('fg-lang') || 'zh', csrf = '', last = null, es = null, poller = null;
const $ = (id) => document.getElementById(id);
const t = (k, v) => (T[lang][k] || k).replace(/\{(\w)\}/g, (_, x) => v[x]);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  $('lang').textContent = lang === 'zh' ? 'EN' : '中文';
  document.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
  if (last) render(last);
}

async function api(method, path, body) {
  const h = {};
  if (method === 'POST') h['X-CSRF-Token'] = csrf;
  const r = await fetch(path, {method, headers: h, body, credentials: 'same-origin'});
  let j = null;
  const txt = await r.text();
  try { j = JSON.parse(txt); } catch (e) { j = {text: txt}; }
  if (r.status === 401 && path !== '/api/login') showLogin();
  return {status: r.status, body: j};
}

function ago(ms, now) {
  if (!ms) return t('never');
  const d = Math.round((now - ms) / 1000), tm = new Date(ms).toLocaleTimeString();
  return d >= 0 ? `${tm} (${d}${t('s')} ${t('ago')})` : tm;
}

function card(title, main, sub) {
  const c = el('div', 'card'); c.append(el('span', '', title), el('b', '', main));
  if (sub) c.append(el('span', '', sub));
  return c;
}

function mb(b) { return b > 1048576 ? (b / 1048576).toFixed(1) + ' MB' : (b / 1024).toFixed(0) + ' KB'; }

function renderSummary(h) {
  const s = $('summary'); s.replaceChildren();
  s.append(card(t('journal'), `${h.journal.depth} ${t('depth')}`, `${t('size')} ${mb(h.journal.bytes)} / ${mb(h.journal.max_bytes)}`));
  h.sinks.forEach((k) => s.append(card(k.name, k.connected ? t('sink_up') : t('sink_down'),
    `${t('depth')} ${k.depth} · ${t('lag')} ${k.lag_s}${t('s')}`)));
  const ch = h.chain;
  s.append(card(t('chain'), ch.state === 'sealed' ? ch.day : ch.state === 'none' ? t('none') : t('unreadable'),
    (ch.state === 'sealed' ? `${ch.digest.slice(0, 16)}… ${ch.readings} · ${ch.signed ? t('signed') : t('unsigned')} · ` : '') +
    (ch.open !== undefined ? t('open_rows', {n: ch.open}) : '')));
  const ck = $('clock'); ck.textContent = h.clock_synced ? t('synced') : t('unsynced');
  ck.className = 'badge ' + (h.clock_synced ? 'ok' : 'warn');
}

function renderBuses(h) {
  const list = $('buses'); list.replaceChildren();
  h.buses.forEach((b) => {
    const it = el('div', 'item ' + (b.up ? 'ok' : 'down')); it.dataset.bus = b.name;
    const top = el('div', 'top'); top.append(el('b', '', `${b.name} (${b.type})`),
      el('span', 'state', (b.up ? t('link_up') : t('link_down')) + (b.action ? ` · ${b.action} ${t('action')}` : '')));
    it.append(top, el('div', 'meta', `${t('load')} ${b.load_pct}% · ${t('errors')} ${b.errors} · ${t('discarded')} ${b.discarded}`));
    list.append(it);
  });
}

function renderSensors(h) {
  const list = $('sensors'); list.replaceChildren();
  h.sensors.forEach((x) => {
    const it = el('div', 'item ' + x.state); it.dataset.sensor = x.id; it.dataset.state = x.state;
    const top = el('div', 'top');
    top.append(el('b', '', x.id), el('span', 'state', t(x.state)));
    const vals = el('div', 'vals');
    x.values.forEach((v) => {
      const s = el('span', 'v', `${v.name}: ${v.value === null ? '—' : v.value} ${v.unit}`);
      if (v.quality !== 'good' && v.quality !== 'none') s.append(el('span', 'q', ' ' + v.quality));
      vals.append(s);
    });
    const unit = x.unit + (x.unit !== x.config_unit ? ` (yaml ${x.config_unit})` : '');
    it.append(top,
      el('div', 'meta', `${t('plot')} ${x.plot || '—'} · ${t('village')} ${x.village || '—'} · ${x.bus} ${t('unit')} ${unit} · ${x.profile}`),
      vals,
      el('div', 'meta', `${t('last_good')} ${ago(x.last_good_ms, h.now_ms)}` +
        (x.fails ? ` · ${t('fails')} ${x.fails}` : '') + (x.backing_off ? ` · ${t('backoff')}` : '')));
    list.append(it);
  });
}

function fillSelect(sel, items) {
  const keep = sel.value;
  if (sel.options.length === items.length) return;
  sel.replaceChildren(...items.map((v) => { const o = el('option', '', v); o.value = v; return o; }));
  if (items.includes(keep)) sel.value = keep;
}

function renderLog(h) {
  const l = $('log'); l.replaceChildren();
  h.actions.forEach((a) => l.append(el('li', '', `${new Date(a.ms).toLocaleTimeString()} ${a.text}`)));
}

function render(h) {
  last = h;
  $('gw').textContent = h.gateway; $('township').textContent = h.township;
  renderSummary(h); renderBuses(h); renderSensors(h); renderLog(h);
  fillSelect($('read-sensor'), h.sensors.map((s) => s.id));
  fillSelect($('sa-sensor'), h.sensors.filter((s) => s.can_readdress).map((s) => s.id));
  fillSelect($('scan-bus'), h.buses.map((b) => b.name));
}

function live() {
  if (es) es.close();
  es = new EventSource('/api/events');
  es.onmessage = (e) => { $('conn').textContent = t('live'); $('conn').className = 'badge ok'; render(JSON.parse(e.data)); };
  es.onerror = () => {
    $('conn').textContent = t('offline'); $('conn').className = 'badge bad';
    /* a reload restarts the gateway: the browser gives up on a stream refused meanwhile */
    if (es.readyState === EventSource.CLOSED) setTimeout(start, 2000);
  };
}

function showLogin() { $('login').hidden = false; $('app').hidden = true; if (es) es.close(); }

async function start() {
  const r = await api('GET', '/api/session');
  if (!localStorage.getItem('fg-lang') && r.body.language) lang = r.body.language;
  applyLang();
  if (!r.body.logged_in) { showLogin(); return; }
  csrf = r.body.csrf; $('login').hidden = true; $('app').hidden = false;
  $('logout').hidden = !r.body.need_password;
  const h = await api('GET', '/api/health');
  if (h.status === 200) render(h.body);
  live();
}

function bindTabs() {
  document.querySelectorAll('.tab').forEach((b) => b.addEventListener('click', () => {
    document.querySelectorAll('.tab').forEach((x) => x.classList.toggle('on', x === b));
    document.querySelectorAll('.pane').forEach((p) => { p.hidden = p.id !== b.dataset.tab; });
  }));
}

function busOf(sensor) { const s = last && last.sensors.find((x) => x.id === sensor); return s ? s.bus : ''; }

function showJob(j) {
  const st = $('act-status');
  const word = j.state === 'done' ? (j.ok ? t('done_ok') : t('done_bad')) :
    j.state === 'waiting' ? t('waiting_bus') : t('running') + (j.kind === 'scan' ? ' ' + t('progress', {u: j.at}) : '');
  st.textContent = `${j.kind} · ${j.bus} · ${word}`; st.className = j.state === 'done' ? (j.ok ? 'good' : 'err') : '';
  $('act-text').textContent = j.text;
  const f = $('act-found'); f.replaceChildren();
  if (j.kind === 'scan') j.found.forEach((u) => f.append(el('li', '', String(u))));
}

function follow(bus) {
  clearInterval(poller);
  poller = setInterval(async () => {
    const r = await api('GET', '/api/action?bus=' + encodeURIComponent(bus));
    if (r.status !== 200) return;
    showJob(r.body);
    if (r.body.state === 'done' || r.body.state === 'none') clearInterval(poller);
  }, 500);
}

async function act(path, params, bus) {
  const q = new URLSearchParams(params).toString();
  const r = await api('POST', `${path}?${q}`);
  if (r.status === 202) { $('act-status').textContent = t('waiting_bus'); $('act-status').className = ''; follow(bus); return r; }
  if (r.status !== 428) { $('act-status').textContent = r.body.error || r.status; $('act-status').className = 'err'; }
  return r;
}

function bindTools() {
  $('do-read').addEventListener('click', () => {
    const s = $('read-sensor').value, p = {sensor: s};
    if ($('raw-kind').value) Object.assign(p, {kind: $('raw-kind').value, addr: $('raw-addr').value, count: $('raw-count').value});
    act('/api/read', p, busOf(s));
  });
  $('do-scan').addEventListener('click', () => act('/api/scan', {bus: $('scan-bus').value, from: $('scan-from').value, to: $('scan-to').value}, $('scan-bus').value));
  $('do-sa').addEventListener('click', async () => {
    const s = $('sa-sensor').value, n = $('sa-new').value;
    const r = await act('/api/set-address', {sensor: s, new_unit: n}, busOf(s));
    if (r.status !== 428) return;
    const [a, b] = r.body.error.replace('confirm ', '').split('->');
    $('sa-question').textContent = t('q_sa', {s, a, b});
    $('sa-confirm').hidden = false;
    $('sa-yes').onclick = () => { $('sa-confirm').hidden = true; act('/api/set-address', {sensor: s, new_unit: n, confirm: `${a}->${b}`}, busOf(s)); };
  });
  $('sa-no').addEventListener('click', () => { $('sa-confirm').hidden = true; });
}

async function sendConfig(apply) {
  const r = await api('POST', apply ? '/api/config/apply' : '/api/config/validate', $('cfg-text').value);
  const st = $('cfg-status');
  if (r.body.ok === undefined) { st.textContent = r.body.error || r.status; st.className = 'err'; return; }
  st.textContent = r.body.ok ? (r.body.applied ? t('applied') : t('valid')) + (r.body.note ? ' — ' + r.body.note : '') : t('invalid');
  st.className = r.body.ok && (!apply || r.body.applied) ? 'good' : 'err';
  $('cfg-msgs').textContent = r.body.messages;
}

function bindConfig() {
  $('cfg-load').addEventListener('click', async () => { const r = await fetch('/api/config'); if (r.ok) $('cfg-text').value = await r.text(); });
  $('cfg-file').addEventListener('change', async (e) => { const f = e.target.files[0]; if (f) $('cfg-text').value = await f.text(); });
  $('cfg-validate').addEventListener('click', () => sendConfig(false));
  $('cfg-apply').addEventListener('click', () => sendConfig(true));
}

document.addEventListener('DOMContentLoaded', () => {
  $('lang').addEventListener('click', () => { lang = lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('fg-lang', lang); applyLang(); });
  $('logout').addEventListener('click', async () => { await api('POST', '/api/logout'); showLogin(); });
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await api('POST', '/api/login', $('password').value);
    $('password').value = '';
    if (r.status === 200) { $('login-msg').textContent = ''; start(); } else $('login-msg').textContent = r.status === 401 ? t('wrong_pw') : (r.body.error || r.status);
  });
  bindTabs(); bindTools(); bindConfig(); start();
});
