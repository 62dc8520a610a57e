// strata's viewer: the maps of `strata serve` on a Leaflet map, a point's class probabilities over
// the dates in a uPlot chart, area per class and change in a box. Everything it loads comes from
// the server it was served by (no tile server, geocoder or CDN elsewhere).
'use strict';

const state = {
  info: null,
  dates: [],         // /api/v1/dates entries, in date order
  index: 0,          // the date shown
  layer: 'label',
  compare: null,     // the later date of the change layer
  point: null,       // [lon, lat] of the last click
  box: null,         // L.LatLngBounds of the last box
  series: null,      // the last time series
};
const $ = (id) => document.getElementById(id);
const api = (path) => fetch(path).then(async (r) => {
  const body = r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new Error(body.detail || r.statusText);
  return body;
});
const status = (text) => { $('status').textContent = text || ''; };
const dayMs = 86400000;
const toTime = (date) => Date.parse(date + 'T00:00:00Z') / 1000;

let map, tiles, chart, boxLayer, pointMarker, playing = null, boxedAt = 0;

function currentDate() { return state.dates[state.index]; }

function layerPath() {
  if (state.layer === 'change') return 'change/' + (state.compare || currentDate().id);
  return state.layer;
}

function tileUrl() {
  return `/api/v1/tiles/${encodeURIComponent(currentDate().id)}/${layerPath()}/{z}/{x}/{y}.png`;
}

function refreshTiles() {
  const d = currentDate();
  updateGifLink();
  $('date-label').value = d.date || d.id;
  $('date-slider').value = String(state.index);
  tiles.setUrl(tileUrl());
  drawLegend();
  if (state.box) showBox(state.box);
}

// The timelapse GIF of the map's view over the date range, in the layer shown.
function updateGifLink() {
  if (!map) return;
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)]
    .map((v) => v.toFixed(6)).join(',');
  const layer = state.layer === 'change' ? 'label' : state.layer;
  $('gif').href = `/api/v1/timelapse.gif?bbox=${bbox}&layer=${layer}&` + rangeQuery().join('&');
}

function setDate(index) {
  if (index < 0 || index >= state.dates.length || index === state.index) return;
  state.index = index;
  refreshTiles();
}

function drawLegend() {
  const el = $('legend');
  const classes = state.info.classes, palette = state.info.palette;
  let html = '';
  if (state.layer.startsWith('prob/')) {
    const stops = state.info.probability_ramp;
    html = `<div class="row">${state.layer.slice(5)} probability 0 &rarr; 1</div>` +
      `<div class="ramp" style="background: linear-gradient(to right, ${stops.join(',')})"></div>`;
  } else {
    html = classes.map((c, i) => `<div class="row"><span class="swatch" style="background:${palette[i]}"></span>${c.replaceAll('_', ' ')}</div>`).join('');
    if (state.layer === 'top1') html += '<div class="hint">brightness: the label\'s probability</div>';
    if (state.layer === 'change') html += '<div class="hint">changed pixels in their new class\'s colour, unchanged pale</div>';
  }
  el.innerHTML = html;
}

function fillLayerSelect() {
  const sel = $('layer');
  const options = [['label', 'label (Dynamic World)'], ['top1', 'label × confidence']];
  for (const c of state.info.classes) options.push(['prob/' + c, 'probability: ' + c.replaceAll('_', ' ')]);
  options.push(['change', 'change to another date']);
  if (state.dates.some((d) => d.rgb)) options.push(['rgb', 'Sentinel-2 true colour']);
  sel.innerHTML = options.map(([v, t]) => `<option value="${v}">${t}</option>`).join('');
  sel.addEventListener('change', () => {
    state.layer = sel.value;
    $('compare-label').hidden = state.layer !== 'change';
    refreshTiles();
  });
  const cmp = $('compare');
  cmp.innerHTML = state.dates.map((d) => `<option value="${d.id}">${d.date || d.id}</option>`).join('');
  cmp.value = state.dates[state.dates.length - 1].id;
  state.compare = cmp.value;
  cmp.addEventListener('change', () => { state.compare = cmp.value; refreshTiles(); });
}

// The chart: one line per class in Dynamic World's colours; a click picks the nearest date.
function drawChart(series) {
  const rows = series.series.filter((p) => p.date);
  const xs = rows.map((p) => toTime(p.date));
  const data = [xs];
  const classes = state.info.classes;
  for (const c of classes) data.push(rows.map((p) => (p.nodata ? null : p.probabilities[c])));
  const opts = {
    width: 330, height: 230,
    scales: { x: { time: true }, y: { range: [0, 1] } },
    series: [{ label: 'date', value: (u, v) => (v == null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) }]
      .concat(classes.map((c, i) => ({ label: c.replaceAll('_', ' '), stroke: state.info.palette[i], width: 2, spanGaps: false,
        points: { show: true, size: 5, fill: state.info.palette[i] } }))),
    axes: [{}, { values: (u, ticks) => ticks.map((t) => t.toFixed(1)) }],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
  };
  if (chart) chart.destroy();
  $('chart').innerHTML = '';
  chart = new uPlot(opts, data, $('chart'));
  // What the chart shows, for the browser test and anyone inspecting the page.
  $('chart').dataset.series = String(chart.series.length - 1);
  $('chart').dataset.dates = String(xs.length);
  chart.over.addEventListener('click', () => {
    const idx = chart.cursor.idx;
    if (idx == null) return;
    const date = rows[idx].date;
    const i = state.dates.findIndex((d) => d.date === date);
    if (i >= 0) setDate(i);
  });
}

function rangeQuery() {
  const q = [];
  if ($('start').value) q.push('start=' + $('start').value);
  if ($('end').value) q.push('end=' + $('end').value);
  return q;
}

async function showPoint(latlng) {
  const lon = latlng.lng.toFixed(7), lat = latlng.lat.toFixed(7);
  state.point = [lon, lat];
  if (pointMarker) pointMarker.remove();
  pointMarker = L.circleMarker(latlng, { radius: 6, color: '#111', weight: 2, fillOpacity: 0 }).addTo(map);
  const q = rangeQuery();
  try {
    const s = await api(`/api/v1/timeseries/${lon},${lat}` + (q.length ? '?' + q.join('&') : ''));
    state.series = s;
    $('point').hidden = false;
    $('point-where').textContent = `${lat}, ${lon}`;
    $('csv').href = `/api/v1/timeseries/${lon},${lat}?` + q.concat(['f=csv']).join('&');
    drawChart(s);
    status('');
  } catch (e) { status(e.message); }
}

const fmt = (v, digits) => Number(v).toFixed(digits);

async function showBox(bounds) {
  state.box = bounds;
  const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((v) => v.toFixed(7)).join(',');
  const d = currentDate();
  // The change between the shown date and the change layer's "to" date; when they are the same,
  // between the first date and the shown one.
  let from = d.id, to = state.compare;
  if (!to || to === d.id) { from = state.dates[0].id; to = d.id; }
  try {
    const [areas, change] = await Promise.all([
      api(`/api/v1/statistics?date=${encodeURIComponent(d.id)}&bbox=${bbox}`),
      api(`/api/v1/change?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&bbox=${bbox}`),
    ]);
    $('box').hidden = false;
    $('box-date').textContent = d.date || d.id;
    const rows = state.info.classes.map((c, i) => `<tr><td><span class="swatch" style="display:inline-block;width:.8em;height:.8em;background:${state.info.palette[i]}"></span> ${c.replaceAll('_', ' ')}</td><td class="num">${fmt(areas.km2[c], 4)}</td></tr>`);
    rows.push(`<tr><td>no data</td><td class="num">${fmt(areas.nodata_km2, 4)}</td></tr>`);
    $('areas').tBodies[0].innerHTML = rows.join('');
    $('change-dates').textContent = `${from} → ${to}`;
    const valid = change.changed_km2 + change.unchanged_km2;
    $('change-summary').textContent = `changed: ${fmt(change.changed_km2 * 100, 1)} ha of ${fmt(valid * 100, 1)} ha` +
      (valid > 0 ? ` (${fmt(100 * change.changed_km2 / valid, 1)} %)` : '');
    $('transitions').tBodies[0].innerHTML = change.transitions.slice(0, 12)
      .map((t) => `<tr><td>${t.from.replaceAll('_', ' ')}</td><td>${t.to.replaceAll('_', ' ')}</td><td class="num">${fmt(t.ha, 1)}</td></tr>`).join('');
    status('');
  } catch (e) { status(e.message); }
}

// The box tool: press Box, then drag a rectangle on the map.
function setupBoxTool() {
  const button = $('box-tool');
  let armed = false, start = null;
  const arm = (on) => {
    armed = on;
    button.classList.toggle('active', on);
    $('map').classList.toggle('boxing', on);
    on ? map.dragging.disable() : map.dragging.enable();
  };
  button.addEventListener('click', () => arm(!armed));
  map.on('mousedown', (e) => {
    if (!armed) return;
    start = e.latlng;
    if (boxLayer) boxLayer.remove();
    boxLayer = L.rectangle(L.latLngBounds(start, start), { color: '#111', weight: 2, fillOpacity: 0.05 }).addTo(map);
  });
  map.on('mousemove', (e) => { if (armed && start) boxLayer.setBounds(L.latLngBounds(start, e.latlng)); });
  map.on('mouseup', (e) => {
    if (!armed || !start) return;
    const b = L.latLngBounds(start, e.latlng);
    start = null;
    boxedAt = Date.now();  // the click that ends a drag is not a point query
    arm(false);
    if (b.getNorth() > b.getSouth() && b.getEast() > b.getWest()) showBox(b);
  });
}

// The place box: "lat, lon" or a name from the bundled gazetteer.
async function setupPlaces() {
  let places = [];
  try { places = await api('gazetteer.json'); } catch (e) { /* the viewer works without it */ }
  $('places').innerHTML = places.map((p) => `<option value="${p.name}">`).join('');
  $('place-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('place').value.trim();
    const m = text.match(/^(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)$/);
    if (m) {
      const lat = Number(m[1]), lon = Number(m[2]);
      if (Math.abs(lat) <= 90 && Math.abs(lon) <= 180) { map.setView([lat, lon], Math.max(map.getZoom(), 12)); status(''); return; }
    }
    const p = places.find((q) => q.name.toLowerCase() === text.toLowerCase()) ||
      places.find((q) => q.name.toLowerCase().startsWith(text.toLowerCase()));
    if (p) { map.setView([p.lat, p.lon], p.zoom || 10); status(''); } else status(`no place "${text}" (try lat, lon)`);
  });
}

function setupDates() {
  const slider = $('date-slider');
  slider.max = String(state.dates.length - 1);
  slider.addEventListener('input', () => setDate(Number(slider.value)));
  const dated = state.dates.filter((d) => d.date);
  if (dated.length) {
    $('start').value = dated[0].date;
    $('end').value = dated[dated.length - 1].date;
  }
  const onRange = () => {
    // The slider keeps to the date range; the chart follows it.
    const s = $('start').value, e = $('end').value;
    const inRange = (d) => !d.date || ((!s || d.date >= s) && (!e || d.date <= e));
    if (!inRange(currentDate())) {
      const i = state.dates.findIndex(inRange);
      if (i >= 0) setDate(i);
    }
    if (state.point) showPoint(L.latLng(Number(state.point[1]), Number(state.point[0])));
  };
  $('start').addEventListener('change', onRange);
  $('end').addEventListener('change', onRange);
  $('play').addEventListener('click', () => {
    if (playing) { clearInterval(playing); playing = null; $('play').innerHTML = '&#9654;'; return; }
    $('play').innerHTML = '&#10073;&#10073;';
    playing = setInterval(() => {
      const s = $('start').value, e = $('end').value;
      let i = state.index;
      for (let k = 0; k < state.dates.length; ++k) {
        i = (i + 1) % state.dates.length;
        const d = state.dates[i];
        if (!d.date || ((!s || d.date >= s) && (!e || d.date <= e))) break;
      }
      setDate(i);
    }, 1200);
  });
}

async function main() {
  try {
    state.info = await api('/api/v1/info');
    state.dates = (await api('/api/v1/dates')).dates;
  } catch (e) { status('cannot reach strata serve: ' + e.message); return; }
  const [w, s, e, n] = state.info.bounds;
  const maxzoom = Math.max(...state.dates.map((d) => d.maxzoom));
  map = L.map('map', { maxZoom: maxzoom + 2, attributionControl: true });
  map.attributionControl.setPrefix('');
  map.attributionControl.addAttribution('strata');
  map.fitBounds([[s, w], [n, e]]);
  tiles = L.tileLayer(tileUrl(), { maxNativeZoom: maxzoom, maxZoom: maxzoom + 2, tileSize: 256, keepBuffer: 1 }).addTo(map);
  L.rectangle([[s, w], [n, e]], { color: '#555', weight: 1, fill: false, interactive: false }).addTo(map);
  fillLayerSelect();
  setupDates();
  setupBoxTool();
  setupPlaces();
  map.on('moveend', updateGifLink);
  map.on('click', (ev) => { if (!$('map').classList.contains('boxing') && Date.now() - boxedAt > 300) showPoint(ev.latlng); });
  refreshTiles();
  document.body.dataset.ready = '1';
}

main();
