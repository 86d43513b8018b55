// Drover dashboard: polls the read-only JSON API and renders it.
"use strict";
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
// sid is a scheduler's id, or ? (with why) when its record is unreadable.
const sid = (s) => (s.record_error ? `<span title="${esc(s.record_error)}">?</span>` : esc(s.id));
const when = (t) => (t && !t.startsWith("0001") ? new Date(t).toLocaleString() : "-");

function rows(sel, list, cells) {
  $(sel + " tbody").innerHTML = list.map((x) => "<tr>" + cells(x).map((c) => "<td>" + c + "</td>").join("") + "</tr>").join("");
}

// get fetches a JSON document, giving up after 15 s; an error says why.
// skipped is how many records the API left out, unreadable
// (X-Drover-Skipped: a newer release's, mid-upgrade, or malformed).
async function get(path) {
  const r = await fetch(path, { cache: "no-store", signal: AbortSignal.timeout(15000) });
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    throw Object.assign(new Error(path + ": " + r.status + (body.error ? " " + body.error : "")), { status: r.status, why: body.error || "" });
  }
  return {
    body: await r.json(), skipped: Number(r.headers.get("X-Drover-Skipped") || 0),
    // A listing's next page starts before this id; truncated: the records
    // read may not hold the newest matching tasks (README, HTTP API).
    next: r.headers.get("X-Drover-Next-Before") || "", truncated: r.headers.get("X-Drover-Truncated") === "true",
    scanned: Number(r.headers.get("X-Drover-Scanned") || 0),
  };
}

// The task list's filter and page are the page's own query (state, name,
// before), as the API takes them: a filtered list is a link to share, and
// a reload keeps it.
const pageQuery = new URLSearchParams(location.search);
const taskQuery = new URLSearchParams({ limit: "20" });
for (const k of ["state", "name", "worker", "schedule", "before"]) {
  const v = pageQuery.get(k);
  if (v) taskQuery.set(k, v);
}
const filterForm = $("#task-filter");
filterForm.state.value = pageQuery.get("state") || "";
if (filterForm.state.value !== (pageQuery.get("state") || "")) {
  // A state list the menu lacks (given by hand): offered as it is.
  filterForm.state.add(new Option(pageQuery.get("state"), pageQuery.get("state"), true, true));
}
filterForm.name.value = pageQuery.get("name") || "";
filterForm.addEventListener("submit", (ev) => {
  // A new filter starts at the newest tasks.
  ev.preventDefault();
  const q = new URLSearchParams();
  // A worker's or a schedule's list (its link in the tables) stays so.
  for (const k of ["worker", "schedule"]) {
    if (pageQuery.get(k)) q.set(k, pageQuery.get(k));
  }
  if (filterForm.state.value) q.set("state", filterForm.state.value);
  if (filterForm.name.value.trim()) q.set("name", filterForm.name.value.trim());
  location.search = q.toString();
});

// pageLink is the dashboard with the same filter, at the page before id
// (the newest when none).
function pageLink(id) {
  const q = new URLSearchParams(pageQuery);
  q.delete("before");
  if (id) q.set("before", id);
  const s = q.toString();
  return s ? "?" + s : location.pathname;
}

// paging shows where the list is and links the pages around it.
function paging(next) {
  const links = [];
  if (pageQuery.get("before")) links.push(`<a href="${esc(pageLink(""))}">← newest</a>`);
  if (next) links.push(`<a href="${esc(pageLink(next))}">older →</a>`);
  if (pageQuery.get("worker") || pageQuery.get("schedule")) {
    // Back to every task, keeping the state and name.
    const all = new URLSearchParams(pageQuery);
    for (const k of ["worker", "schedule", "before"]) all.delete(k);
    links.push(`<a href="${esc(all.toString() ? "?" + all : location.pathname)}">all tasks</a>`);
  }
  $("#paging").innerHTML = links.join("");
  const filtered = pageQuery.get("state") || pageQuery.get("name");
  const whose = pageQuery.get("worker") ? " placed on worker " + pageQuery.get("worker")
    : pageQuery.get("schedule") ? " of schedule " + pageQuery.get("schedule") : "";
  $("#tasks-what").textContent = (pageQuery.get("before") ? "(20 a page, older than " + pageQuery.get("before") + ")" : "(the newest 20)") +
    whose + (filtered ? " matching the filter" : "");
}

// note says, beside a table, what the API left out of it: a short list is
// not passed off as the whole.
function note(sel, skipped, what) {
  $(sel).textContent = skipped > 0 ? `${skipped} ${what} unreadable here, not shown or not counted (a newer release's, malformed: see drover deadletter ls, or not readable with these credentials)` : "";
}

// updated is when the tables were last filled: a refresh that fails leaves
// them as they were, marked stale (greyed, with their time), not passed off
// as live.
let updated = null;

async function refresh() {
  try {
    // Every request settles before the refresh ends (one failing fast
    // left the others open, and each poll added more).
    const got = await Promise.allSettled([get("api/v1/cluster"), get("api/v1/tasks?" + taskQuery), get("api/v1/schedules?limit=20")]);
    // A filter the API refuses (a glob that does not parse, a state list
    // given by hand) empties the task list and says why; the rest stays live.
    const refused = got[1].status === "rejected" && got[1].reason.status === 400;
    const failed = got.find((r, i) => r.status === "rejected" && !(i === 1 && refused));
    if (failed) throw failed.reason;
    const [c, tasks, scheds] = got.map((r) => (r.status === "fulfilled" ? r.value.body : []));
    note("#workers-note", got[0].value.skipped, "registered workers (or their assignments)");
    if (refused) {
      $("#tasks-note").textContent = "filter refused: " + got[1].reason.why;
      paging("");
    } else {
      note("#tasks-note", got[1].value.skipped, "tasks");
      if (got[1].value.truncated) {
        // A page reads a bounded number of records (1,000 for 20): a
        // rare name or state may match none of them.
        $("#tasks-note").textContent += ` stopped after reading ${got[1].value.scanned} task records: matching tasks may lie beyond them (drover ls with this filter and --scan 0 reads them all)`;
      }
      paging(got[1].value.next);
    }
    note("#schedules-note", got[2].value.skipped, "schedules");
    const l = c.leader;
    const q = c.stats.queued || {};
    // Only the leader keeps the queue: a standby's counts are no count, nor
    // are a leader's before it has listed the queue (just elected, or
    // rebuilding its view after a lost connection), as /metrics has it.
    const queued = c.served_by !== "leader"
      ? " · queue counts: on the leader's dashboard (a standby keeps no queue)"
      : !c.stats.view_ready
        ? " · queue counts: not yet (this leader is still listing the queue)"
        : ` · queued high/normal/low: ${q.high || 0}/${q.normal || 0}/${q.low || 0} (as seen by this scheduler)` +
          // Of them, those not due yet: a retry's backoff, a start time.
          (c.stats.delayed > 0 ? `, ${c.stats.delayed} not due yet (a retry's backoff or a start time)` : "") +
          // The longest a task first in its line has waited to be placed
          // (drover_queue_head_wait_seconds): long, its workers are absent or busy.
          (c.stats.head_wait_seconds >= 1 ? ` · longest wait at the head of a line: ${Math.round(c.stats.head_wait_seconds)} s` : "");
    $("#cluster").innerHTML = l
      ? `leader <b>${sid(l)}</b> (pid ${l.record_error ? "?" : l.pid}, epoch ${l.epoch_error ? `<span title="${esc(l.epoch_error)}">?</span>` : l.epoch}) · standbys: ${(l.standbys || []).map(sid).join(", ") || "none"}` +
        queued
      : "no leader";
    // A worker's id and a schedule's name link to their tasks (ls --worker, --schedule).
    const only = (k, v) => "?" + new URLSearchParams({ [k]: v });
    rows("#workers", c.workers, (w) => [
      `<a class="mono" href="${esc(only("worker", w.id))}">${esc(w.id)}</a>`, esc(w.host),
      esc(Object.entries(w.labels || {}).map(([k, v]) => k + "=" + v).join(", ")),
      // Running of capacity; then assignments waiting for a slot of the prefetch.
      `${w.running}/${w.capacity}${w.prefetch || w.waiting ? ` · waiting ${w.waiting}/${w.prefetch}` : ""}`,
      // As drover workers says; the cordon's note in the cell's title.
      `<span title="${esc(w.cordon ? w.cordon.note || "" : "")}">${esc([w.cordon && "cordoned", w.draining && "draining"].filter(Boolean).join(", ") || "up")}</span>`,
    ]);
    rows("#tasks", tasks, (t) => [
      `<span class="mono">${esc(t.id)}</span>`, esc(t.name), `<span class="${esc(t.state)}">${esc(t.state)}</span>`,
      // A listing carries no output: the task's page (its JSON, tasks/ID) has it.
      t.attempt, esc(t.worker), t.exit_code ?? "-", `<a href="task.html?id=${esc(encodeURIComponent(t.id))}">show</a>`,
    ]);
    rows("#schedules", scheds, (s) => [
      `<a href="${esc(only("schedule", s.name))}">${esc(s.name)}</a>`, `<span class="mono">${esc(s.cron)}</span>`, s.suspended ? "paused" : "active",
      when(s.next), when(s.last_slot), s.fired,
    ]);
    updated = new Date();
    document.body.classList.remove("stale");
    $("#status").textContent = "live · updated " + updated.toLocaleTimeString() + " · served by " + (c.served_by === "leader" ? "the leader" : "a standby") + " (" + c.served_by_id + ")";
  } catch (e) {
    document.body.classList.add("stale");
    $("#status").textContent = "error: " + e.message + (updated ? " · the tables are from " + updated.toLocaleTimeString() : "");
  }
}
// The next refresh is scheduled when one ends, so a slow server never has
// more than one refresh's requests from this page.
async function poll() {
  await refresh();
  setTimeout(poll, 2000);
}
poll();
