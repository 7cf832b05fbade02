// One Plotly figure on a page, drawn with one of Plotly's partial bundles (plotly-basic:
// bar, scatter, pie; plotly-cartesian: those and heatmap) instead of the full bundle that
// st.plotly_chart loads: evaluating the full bundle costs a new tab about 0.9 s of the
// browser's time, the basic one 0.15 s (docs/architecture.md, "Charts"). The bundles lie in
// static/plotly/. Sent by portfolio/ui/plotly_chart.py: data = {figure (JSON text), config,
// bundle (URL), basic_only, selectable}. A drawn chart carries data-drawn="1" (what
// "finished" waits for); one that could not be drawn data-drawn="error", and says so.

const bundles = (window.__portfolioPlotly = window.__portfolioPlotly || {});

// The look st.plotly_chart gave every chart (Streamlit's light theme as its Plotly template),
// so that the charts look as they did; a figure's own settings win over it.
const FONT = '"Source Sans", sans-serif';
const FAINT = "#808495";
const LINES = "#e6eaf1";
const AXIS = {
  zerolinecolor: LINES, gridcolor: LINES, tickcolor: LINES, automargin: true,
  tickfont: { color: FAINT, size: 12 }, minor: { gridcolor: LINES },
};
const LOOK = {
  colorway: ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700",
    "#ffd16a", "#6d3fc0", "#d5dae5"],
  font: { color: FAINT, family: FONT, size: 12, weight: 400 },
  title: { font: { family: FONT, size: 16, color: "#2F2D2B" }, pad: { l: 4 }, xanchor: "left",
    x: 0 },
  legend: { title: { font: { size: 12, color: FAINT }, side: "top" }, valign: "top",
    bordercolor: "transparent", borderwidth: 0, font: { size: 12, color: "#262730" } },
  paper_bgcolor: "#FFFFFF",
  plot_bgcolor: "#FFFFFF",
  xaxis: { ...AXIS, showgrid: false, zeroline: false,
    title: { font: { color: FAINT, size: 14 }, standoff: 20 } },
  yaxis: { ...AXIS, ticklabelposition: "outside",
    title: { font: { color: FAINT, size: 14 }, standoff: 24 } },
  margin: { pad: 8, r: 0, l: 0 },
  hoverlabel: { bgcolor: "#FFFFFF", bordercolor: "rgba(47, 45, 43, 0.2)",
    font: { color: FAINT, family: FONT, size: 12 } },
};

function withLook(layout) {
  const themed = { ...layout, autosize: true, template: { layout: LOOK } };
  delete themed.width;
  const title = themed.title;
  if (title && title.text && !title.text.startsWith("<b>")) {
    // the finding in bold (Plotly carries the tag over its line breaks); a note after it
    // (theme.with_note: <br><span …>) stays in the normal weight
    const cut = title.text.indexOf("<br><span");
    const finding = cut < 0 ? title.text : title.text.slice(0, cut);
    themed.title = { ...title, text: `<b>${finding}</b>${cut < 0 ? "" : title.text.slice(cut)}` };
  }
  return themed;
}

function loadBundle(url) {
  if (!bundles[url]) {
    bundles[url] = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      // each bundle defines window.Plotly: keep the one this script defined
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error(`the chart library ${url} did not load`));
      document.head.appendChild(script);
    });
  }
  return bundles[url];
}

// A figure that fits the basic bundle is drawn with the larger one when that one is
// already loaded in this tab (it is a superset), so a tab loads at most what it needs.
function plotlyFor(url, basicOnly) {
  if (basicOnly) {
    const loaded = Object.keys(bundles).find((other) => other !== url);
    if (loaded) return bundles[loaded];
  }
  return loadBundle(url);
}

function selectedPoints(event) {
  return (event.points || []).map((p) => ({
    customdata: p.customdata === undefined ? null : p.customdata,
    x: p.x === undefined ? null : p.x,
    y: p.y === undefined ? null : p.y,
    curve_number: p.curveNumber,
    point_index: p.pointIndex,
  }));
}

function chartElement(parentElement) {
  let chart = parentElement.querySelector('[data-testid="portfolio-chart"]');
  if (!chart) {
    chart = document.createElement("div");
    chart.setAttribute("data-testid", "portfolio-chart");
    chart.style.width = "100%";
    parentElement.appendChild(chart);
  }
  return chart;
}

function watchWidth(chart) {
  if (chart.__portfolioResize) return;
  let width = chart.clientWidth;
  let frame = null;
  chart.__portfolioResize = new ResizeObserver(() => {
    if (chart.clientWidth === width || frame !== null) return;
    frame = requestAnimationFrame(() => {
      frame = null;
      width = chart.clientWidth;
      if (chart.__portfolioPlotly && chart.getAttribute("data-drawn") === "1") {
        chart.__portfolioPlotly.Plots.resize(chart);
      }
    });
  });
  chart.__portfolioResize.observe(chart);
}

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  const chart = chartElement(parentElement);
  if (chart.__portfolioFigure === data.figure && chart.getAttribute("data-drawn")) {
    return undefined; // the same figure again (a rerun): nothing to draw
  }
  chart.__portfolioFigure = data.figure;
  chart.removeAttribute("data-drawn");
  const figure = JSON.parse(data.figure);
  const layout = withLook(figure.layout || {});
  plotlyFor(data.bundle, data.basic_only)
    .then((Plotly) => {
      if (chart.__portfolioPlotly && chart.__portfolioPlotly !== Plotly) {
        chart.__portfolioPlotly.purge(chart);
      }
      chart.__portfolioPlotly = Plotly;
      return Plotly.react(chart, figure.data || [], layout, data.config);
    })
    .then(() => {
      if (data.selectable && !chart.__portfolioClicks) {
        chart.__portfolioClicks = true;
        chart.on("plotly_click", (event) => setStateValue("selection", selectedPoints(event)));
      }
      watchWidth(chart);
      chart.setAttribute("data-drawn", "1");
    })
    .catch((error) => {
      chart.textContent = `This chart could not be drawn: ${error.message}`;
      chart.setAttribute("data-drawn", "error");
    });
  return () => {
    if (chart.__portfolioResize) chart.__portfolioResize.disconnect();
    if (chart.__portfolioPlotly) chart.__portfolioPlotly.purge(chart);
    chart.__portfolioResize = null;
    chart.__portfolioClicks = false;
    chart.__portfolioFigure = null;
    chart.removeAttribute("data-drawn");
  };
}
