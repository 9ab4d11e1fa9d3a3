// The calendar page: builds the month grid, the detail panel and the request timeline from the
// JSON model in #page-data. Calendar text is untrusted: it only ever goes into textContent.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const DAY_CAP = 40; // chips shown per day before a "more" button; a day can hold thousands
  const COLORS = {
    x: "#14171a", linkedin: "#0a66c2", "linkedin-page": "#004182", facebook: "#1877f2",
    instagram: "#c13584", threads: "#5b5b5b", bluesky: "#1185fe", mastodon: "#6364ff",
    telegram: "#229ed9", youtube: "#cc0000", pinterest: "#e60023", tiktok: "#0e9f9f",
    reddit: "#ff4500", discord: "#5865f2",
  };
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  const state = { utc: false, month: null, channel: "", platform: "", status: "",
    request: null, post: null, expanded: {} };
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function color(platform) {
    if (COLORS[platform]) return COLORS[platform];
    let hue = 0;
    for (let i = 0; i < platform.length; i++) hue = (hue * 31 + platform.charCodeAt(i)) % 360;
    return "hsl(" + hue + ", 55%, 40%)";
  }

  const when = (item) => (state.utc ? item.utc : item.local);
  const platformOf = (post) => data.channels[post.ch].platform;

  function firstLine(post) {
    const text = data.texts[post.values[0].text] || "";
    const line = text.split("\n")[0];
    return line.length > 90 ? line.slice(0, 89) + "\u2026" : line;
  }

  // Post indexes by month and by day, in each of the two zones, sorted by time.
  function index(pick) {
    const byMonth = {};
    data.posts.forEach((post, i) => {
      const at = pick(post);
      (byMonth[at[0].slice(0, 7)] = byMonth[at[0].slice(0, 7)] || []).push(i);
    });
    Object.values(byMonth).forEach((list) =>
      list.sort((a, b) => (pick(data.posts[a])[1] < pick(data.posts[b])[1] ? -1 : 1)));
    return byMonth;
  }
  const postsByMonth = { local: index((p) => p.local), utc: index((p) => p.utc) };

  function months() {
    const found = new Set(Object.keys(postsByMonth[state.utc ? "utc" : "local"]));
    data.problems.forEach((problem) => { if (when(problem)) found.add(when(problem)[0].slice(0, 7)); });
    return Array.from(found).sort();
  }

  function shown(post) {
    const channel = data.channels[post.ch];
    if (state.channel && channel.id !== state.channel) return false;
    if (state.platform && channel.platform !== state.platform) return false;
    if (!state.status) return true;
    if (state.status === "late") return post.late;
    if (state.status === "passed") return post.past;
    return post.status === state.status;
  }

  const problemsShown = () => !state.status || state.status === "invalid";

  function chip(i) {
    const post = data.posts[i];
    const channel = data.channels[post.ch];
    const node = el("button", "chip");
    node.type = "button";
    node.dataset.post = String(i);
    node.dataset.key = post.key;
    node.dataset.status = post.status || "";
    node.style.setProperty("--pc", color(channel.platform));
    node.appendChild(el("span", "time", when(post)[1]));
    if (post.late) { node.classList.add("late"); node.appendChild(el("span", "mark late", "late")); }
    if (post.past) { node.classList.add("past"); node.appendChild(el("span", "mark past", "passed")); }
    if (data.kind === "export") node.appendChild(el("span", "mark status", post.status));
    node.appendChild(el("span", "chan", channel.name));
    node.appendChild(el("span", "line", firstLine(post)));
    node.title = channel.name + " \u00b7 " + when(post).join(" ") + "\n" + firstLine(post);
    return node;
  }

  function problemNode(problem) {
    const node = el("div", "problem");
    const where = (problem.row !== null ? "row " + problem.row : "") +
      (problem.field ? " \u00b7 " + problem.field : "");
    node.appendChild(el("b", null, where.trim() + " " + problem.code + ": "));
    node.appendChild(document.createTextNode(problem.message));
    return node;
  }

  function renderGrid() {
    const body = $("grid-body");
    body.replaceChildren();
    const zone = state.utc ? "utc" : "local";
    const byDay = {};
    (postsByMonth[zone][state.month] || []).forEach((i) => {
      if (!shown(data.posts[i])) return;
      const day = when(data.posts[i])[0];
      (byDay[day] = byDay[day] || []).push(i);
    });
    const problems = {};
    if (problemsShown()) {
      data.problems.forEach((problem) => {
        const at = when(problem);
        if (at && at[0].slice(0, 7) === state.month) (problems[at[0]] = problems[at[0]] || []).push(problem);
      });
    }
    const [year, month] = state.month.split("-").map(Number);
    const lead = (new Date(Date.UTC(year, month - 1, 1)).getUTCDay() + 6) % 7; // Monday first
    const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
    let shownAny = false;
    for (let day = 1 - lead; day <= days;) {
      const row = el("tr");
      for (let column = 0; column < 7; column++, day++) {
        const cell = el("td");
        row.appendChild(cell);
        if (day < 1 || day > days) { cell.className = "out"; continue; }
        const date = state.month + "-" + String(day).padStart(2, "0");
        cell.className = "day";
        cell.dataset.date = date;
        cell.appendChild(el("div", "num", day));
        (problems[date] || []).forEach((problem) => { cell.appendChild(problemNode(problem)); shownAny = true; });
        const posts = byDay[date] || [];
        const cap = state.expanded[date] ? posts.length : DAY_CAP;
        posts.slice(0, cap).forEach((i) => cell.appendChild(chip(i)));
        if (posts.length > cap) {
          const more = el("button", "more", "+" + (posts.length - cap) + " more");
          more.type = "button";
          more.dataset.expand = date;
          cell.appendChild(more);
        }
        shownAny = shownAny || posts.length > 0;
      }
      body.appendChild(row);
    }
    $("empty").hidden = shownAny;
    highlight();
  }

  function renderTimeline() {
    const box = $("windows");
    box.replaceChildren();
    const zone = state.utc ? "utc" : "local";
    const here = new Set(postsByMonth[zone][state.month] || []);
    const groups = new Map();
    data.requests.forEach((request) => {
      if (!request.posts.some((i) => here.has(i))) return;
      const key = request.window === null ? "sent" : request.window;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(request);
    });
    const windows = new Map(data.windows.map((w) => [w.window, w]));
    groups.forEach((requests, key) => {
      const block = el("div", "window");
      const info = windows.get(key);
      let title = "Requests sent";
      if (info) {
        title = "Window " + (info.window + 1) + " \u00b7 starts +" + info.starts + " \u00b7 " +
          info.counted + " counted request" + (info.counted === 1 ? "" : "s") +
          (info.uploads ? " (" + info.uploads + " upload" + (info.uploads === 1 ? "" : "s") + ")" : "") +
          " \u00b7 " + info.posts + " posts";
      }
      block.appendChild(el("h3", null, title));
      requests.forEach((request) => {
        const button = el("button", "req", "#" + request.number + " \u00b7 " + request.posts.length);
        button.type = "button";
        button.dataset.request = String(request.number);
        button.title = "Request " + request.number + ": " + request.posts.length + " posts" +
          (request.bytes ? ", about " + Math.ceil(request.bytes / 1024) + " kB" : "");
        if (state.request === request.number) button.classList.add("active");
        block.appendChild(button);
      });
      box.appendChild(block);
    });
    if (!groups.size) {
      const why = data.kind === "plan" && !data.windows.length
        ? "No requests: fix the problems above and plan again."
        : data.kind === "export" && !data.requests.length
          ? "No requests sent yet."
          : "No requests carry this month's posts.";
      box.appendChild(el("p", "empty", why));
    }
  }

  function highlight() {
    const grid = $("grid");
    const request = data.requests.find((r) => r.number === state.request);
    const members = new Set(request ? request.posts : []);
    grid.classList.toggle("has-hl", Boolean(request));
    grid.querySelectorAll(".chip").forEach((node) => {
      node.classList.toggle("hl", members.has(Number(node.dataset.post)));
      node.classList.toggle("selected", Number(node.dataset.post) === state.post);
    });
    document.querySelectorAll("#windows .req").forEach((node) =>
      node.classList.toggle("active", Number(node.dataset.request) === state.request));
  }

  function selectRequest(number) {
    state.request = state.request === number ? null : number;
    const request = data.requests.find((r) => r.number === state.request);
    const zone = state.utc ? "utc" : "local";
    if (request && request.posts.length) {
      const month = when(data.posts[request.posts[0]])[0].slice(0, 7);
      if (!(postsByMonth[zone][state.month] || []).some((i) => request.posts.includes(i))) {
        state.month = month;
        render();
        return;
      }
    }
    highlight();
  }

  function addRow(list, term, value) {
    list.appendChild(el("dt", null, term));
    list.appendChild(el("dd", null, value));
  }

  function showDetail(i) {
    const post = data.posts[i];
    const channel = data.channels[post.ch];
    const panel = $("detail");
    state.post = i;
    panel.replaceChildren();
    panel.style.setProperty("--pc", color(channel.platform));
    const close = el("button", "close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.addEventListener("click", () => { panel.hidden = true; state.post = null; highlight(); });
    panel.appendChild(close);
    panel.appendChild(el("h2", null, channel.name));
    const facts = el("dl");
    addRow(facts, "Platform", channel.platform);
    addRow(facts, data.zone, post.local.join(" "));
    addRow(facts, "UTC", post.utc.join(" "));
    addRow(facts, "Row", post.where);
    addRow(facts, "Entry", post.entry);
    addRow(facts, "Type", post.type);
    if (post.status) addRow(facts, "Status", post.status);
    if (data.kind === "export") addRow(facts, "Post id", post.post_id || "none yet");
    if (post.request !== null) addRow(facts, "Request", "#" + post.request);
    if (post.error) addRow(facts, "Error", post.error);
    panel.appendChild(facts);
    if (post.late) panel.appendChild(el("p", "warn", "Late: at this pace the quota delivers it after its time (Postiz then publishes it at once)."));
    if (post.past) panel.appendChild(el("p", "warn", "Its publish time has passed."));
    post.values.forEach((value, n) => {
      const delay = n && value.delay ? " (" + value.delay + " min after the previous)" : "";
      panel.appendChild(el("h3", null, (n === 0 ? "Post" : "Thread item " + n) + delay));
      panel.appendChild(el("div", "text", data.texts[value.text]));
      value.media.forEach((m) => {
        const medium = data.media[m];
        const box = el("span", "medium");
        if (medium.thumb && medium.thumb.startsWith("data:image/")) {
          const image = el("img");
          image.src = medium.thumb;
          image.alt = medium.name;
          box.appendChild(image);
        }
        box.appendChild(el("span", null, medium.kind + ": " + (medium.url || medium.name)));
        panel.appendChild(box);
      });
    });
    const settings = Object.entries(post.settings || {});
    if (settings.length) {
      panel.appendChild(el("h3", null, "Settings"));
      const list = el("dl");
      settings.forEach(([key, value]) => addRow(list, key, typeof value === "string" ? value : JSON.stringify(value)));
      panel.appendChild(list);
    }
    if (post.tags && post.tags.length) {
      panel.appendChild(el("h3", null, "Tags"));
      panel.appendChild(el("p", null, post.tags.join(", ")));
    }
    panel.hidden = false;
    highlight();
  }

  function fillSelect(select, options) {
    options.forEach(([value, label]) => {
      const option = el("option", null, label);
      option.value = value;
      select.appendChild(option);
    });
  }

  function renderMonths() {
    const select = $("month");
    select.replaceChildren();
    const list = months();
    if (!list.includes(state.month)) state.month = list[0] || null;
    const zone = state.utc ? "utc" : "local";
    fillSelect(select, list.map((m) => {
      const [year, month] = m.split("-");
      const n = (postsByMonth[zone][m] || []).length;
      return [m, MONTHS[Number(month) - 1] + " " + year + " (" + n + " post" + (n === 1 ? "" : "s") + ")"];
    }));
    select.value = state.month || "";
    $("prev").disabled = list.indexOf(state.month) <= 0;
    $("next").disabled = list.indexOf(state.month) >= list.length - 1;
  }

  function render() {
    renderMonths();
    if (!state.month) { $("grid-body").replaceChildren(); $("empty").hidden = false; return; }
    renderGrid();
    renderTimeline();
  }

  function setup() {
    const channels = data.channels.map((c) => [c.id, c.name]).sort((a, b) => a[1].localeCompare(b[1]));
    fillSelect($("f-channel"), channels);
    const platforms = Array.from(new Set(data.channels.map((c) => c.platform))).sort();
    fillSelect($("f-platform"), platforms.map((p) => [p, p]));
    const statuses = data.statuses.map((s) => [s, s]);
    if (data.posts.some((p) => p.late)) statuses.push(["late", "late"]);
    if (data.posts.some((p) => p.past)) statuses.push(["passed", "passed"]);
    fillSelect($("f-status"), statuses);
    const legend = $("legend");
    platforms.forEach((platform) => {
      const item = el("span", null, platform);
      item.style.setProperty("--pc", color(platform));
      legend.appendChild(item);
    });
    $("month").addEventListener("change", (event) => { state.month = event.target.value; render(); });
    $("prev").addEventListener("click", () => { const l = months(); state.month = l[l.indexOf(state.month) - 1]; render(); });
    $("next").addEventListener("click", () => { const l = months(); state.month = l[l.indexOf(state.month) + 1]; render(); });
    $("utc").addEventListener("change", (event) => {
      state.utc = event.target.checked;
      $("zone-name").textContent = state.utc ? "UTC" : data.zone;
      render();
    });
    [["f-channel", "channel"], ["f-platform", "platform"], ["f-status", "status"]].forEach(([id, key]) =>
      $(id).addEventListener("change", (event) => { state[key] = event.target.value; renderGrid(); }));
    $("grid").addEventListener("click", (event) => {
      const more = event.target.closest(".more");
      if (more) { state.expanded[more.dataset.expand] = true; renderGrid(); return; }
      const node = event.target.closest(".chip");
      if (node) showDetail(Number(node.dataset.post));
    });
    $("windows").addEventListener("click", (event) => {
      const node = event.target.closest(".req");
      if (node) selectRequest(Number(node.dataset.request));
    });
    render();
    document.body.dataset.readyMs = String(Math.round(performance.now())); // since navigation
    document.body.dataset.ready = "true";
  }

  setup();
})();
