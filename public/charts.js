// IoT Center's time charts, drawn by uPlot (public/vendor/uplot): the wasm frontend
// (app/src/charts.rs) draws in an element, again with new data, and lets go of it.
// Times are shown in the viewer's local time; a tooltip follows the cursor with the exact
// time and values.
"use strict";

window.iotCharts = (() => {
  const HEIGHT = 220;
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

  const size = (el) => ({ width: Math.max(el.clientWidth, 200), height: HEIGHT });
  const formatValue = (v) => (v == null ? "–" : String(Math.round(v * 100) / 100));

  /** A box in the plot area with the time and the values under the cursor. */
  function tooltip(unit) {
    let box;
    return {
      hooks: {
        init(u) {
          box = document.createElement("div");
          box.className = "chart-tip";
          box.setAttribute("role", "tooltip");
          box.hidden = true;
          u.over.appendChild(box);
        },
        setCursor(u) {
          const i = u.cursor.idx;
          if (i == null || u.cursor.left < 0) {
            box.hidden = true;
            return;
          }
          const time = new Date(u.data[0][i] * 1000).toLocaleString();
          const lines = u.series.slice(1).map((s, k) => {
            const suffix = u.series.length > 2 ? ` (${s.label})` : "";
            return `${formatValue(u.data[k + 1][i])} ${unit}${suffix}`;
          });
          box.textContent = [time, ...lines].join("\n");
          box.hidden = false;
          const left = u.cursor.left + 12;
          const flip = left + box.offsetWidth > u.over.clientWidth;
          box.style.left = `${flip ? u.cursor.left - box.offsetWidth - 12 : left}px`;
          box.style.top = `${Math.max(0, u.cursor.top - box.offsetHeight - 8)}px`;
        },
      },
    };
  }

  /** Thresholds as dashed lines, and spans when an alert fired shaded, from `plot.iotMarks`:
   * `{ lines: [value, …], spans: [startMs, endMs, …] }`. */
  function marks() {
    return {
      hooks: {
        draw(u) {
          const { lines, spans } = u.iotMarks ?? { lines: [], spans: [] };
          const { ctx, bbox } = u;
          ctx.save();
          ctx.fillStyle = "rgba(220, 38, 38, 0.12)";
          for (let i = 0; i + 1 < spans.length; i += 2) {
            const left = Math.max(bbox.left, u.valToPos(spans[i] / 1000, "x", true));
            const right = Math.min(bbox.left + bbox.width, u.valToPos(spans[i + 1] / 1000, "x", true));
            if (right > left) ctx.fillRect(left, bbox.top, right - left, bbox.height);
          }
          ctx.strokeStyle = "#dc2626";
          ctx.lineWidth = devicePixelRatio;
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          for (const v of lines) {
            const y = Math.round(u.valToPos(v, "y", true));
            ctx.beginPath();
            ctx.moveTo(bbox.left, y);
            ctx.lineTo(bbox.left + bbox.width, y);
            ctx.stroke();
          }
          ctx.restore();
        },
      },
    };
  }

  /** The time range: the data's, widened to take in the spans an alert fired (a device gone
   * silent fires after its last point); one point alone gets ten minutes, not years. The
   * data's own first and last times are taken, not `min`/`max`: for a single time uPlot
   * passes that time and a day after it. */
  function timeRange(u, min, max) {
    const times = (u.iotMarks?.spans ?? []).map((t) => t / 1000);
    const xs = u.data[0] ?? [];
    if (xs.length > 0) times.push(xs[0], xs[xs.length - 1]);
    else if (min != null) times.push(min, max);
    if (times.length === 0) return [0, 1];
    const lo = Math.min(...times);
    const hi = Math.max(...times);
    return lo === hi ? [lo - 300, hi + 300] : [lo, hi];
  }

  /** The value range: the data's, widened to take in every threshold line. */
  function valueRange(u, min, max) {
    const lines = u.iotMarks?.lines ?? [];
    const lo = Math.min(min ?? Infinity, ...lines);
    const hi = Math.max(max ?? -Infinity, ...lines);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
    const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
    return [lo - pad, hi + pad];
  }

  /** The value axis as wide as its longest label (`1,000.15` is wider than `20`), so no
   * label is cut: uPlot asks again after laying the ticks out, and the second answer stands. */
  function valueAxisSize(u, labels, axis, cycle) {
    const a = u.axes[axis];
    if (cycle > 1) return a._size;
    const longest = (labels ?? []).reduce((l, v) => (v.length > l.length ? v : l), "");
    u.ctx.font = a.font[0];
    const text = longest ? u.ctx.measureText(longest).width / devicePixelRatio : 0;
    return Math.ceil(a.ticks.size + a.gap + text + 4);
  }

  /** A chart of `names` (one line each) in `el`, empty until `update`. */
  function create(el, names, unit) {
    const plot = new uPlot(
      {
        ...size(el),
        series: [
          {},
          ...names.map((label, i) => ({
            label,
            stroke: COLORS[i % COLORS.length],
            width: 1.5,
            value: (u, v) => formatValue(v),
          })),
        ],
        scales: { x: { range: timeRange }, y: { range: valueRange } },
        // Time labels ("22:00" over "12/6") need about 80 px each: fewer ticks on a narrow
        // chart, never labels over each other.
        axes: [{ space: 80 }, { size: valueAxisSize }],
        legend: { show: names.length > 1 },
        cursor: { drag: { x: false, y: false } },
        plugins: [tooltip(unit), marks()],
      },
      [[], ...names.map(() => [])],
      el,
    );
    plot.resizer = new ResizeObserver(() => plot.setSize(size(el)));
    plot.resizer.observe(el);
    return plot;
  }

  /** New data: `times` in ms since the epoch; `values` one run of `times.length` per line, NaN for a gap. */
  function update(plot, times, values) {
    const n = times.length;
    const lines = plot.series.length - 1;
    const data = [Array.from(times, (t) => t / 1000)];
    for (let k = 0; k < lines; k++) {
      data.push(Array.from(values.subarray(k * n, (k + 1) * n), (v) => (Number.isNaN(v) ? null : v)));
    }
    plot.setData(data);
  }

  /** Draws in `el`, making its chart on the first call, with `lines` and `spans` marked. */
  function draw(el, names, unit, times, values, lines, spans) {
    el.iotPlot ??= create(el, names, unit);
    el.iotPlot.iotMarks = { lines: Array.from(lines), spans: Array.from(spans) };
    update(el.iotPlot, times, values);
  }

  function destroy(el) {
    if (!el.iotPlot) return;
    el.iotPlot.resizer.disconnect();
    el.iotPlot.destroy();
    delete el.iotPlot;
  }

  return { draw, destroy };
})();
