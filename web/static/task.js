// Drover dashboard: one task, from the read-only JSON API (tasks/ID),
// refreshed until it has ended.
"use strict";
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
const when = (t) => (t && !t.startsWith("0001") ? new Date(t).toLocaleString() : "-");
const ms = (n) => (n ? (n % 1000 ? n + "ms" : n / 1000 + "s") : "");
// arg is a command's argument as drover status shows it: quoted when
// empty or holding a space or a shell character, so that the arguments
// shown are the ones run.
const arg = (a) => (a === "" || /[\s'"\\;&|<>()$`*?[\]#~{}!]/.test(a) ? JSON.stringify(a) : a);
const link = (id) => `<a class="mono" href="task.html?id=${esc(encodeURIComponent(id))}">${esc(id)}</a>`;
const ended = new Set(["succeeded", "failed", "cancelled", "dead"]);
const id = new URLSearchParams(location.search).get("id") || "";
const api = "api/v1/tasks/" + encodeURIComponent(id);

$("#id").textContent = id;
$("#json").href = api;

// get fetches the task, giving up after 15 s; an error says why (404: no
// such task, or pruned).
async function get() {
  const r = await fetch(api, { cache: "no-store", signal: AbortSignal.timeout(15000) });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(r.status + (body.error ? " " + body.error : "")), { status: r.status });
  return body;
}

function render(t) {
  const runs = t.handler
    ? "handler " + t.handler
    : (t.shell ? "sh -c " : "") + (t.cmd || []).map(arg).join(" ");
  const fields = [
    ["Name", esc(t.name || "-")],
    ["State", `<span class="${esc(t.state)}">${esc(t.state)}</span>`],
    ["Attempt", `${t.attempt ?? "-"} (retries: ${t.retries || 0})`],
    ["Worker", esc(t.worker || "-")],
    ["Exit code", t.exit_code ?? "-"],
    ["Error", esc(t.error || "-")],
    ["Runs", `<span class="mono">${esc(runs)}</span>`],
    ["Priority", esc(t.priority)],
    ["Labels", esc(Object.entries(t.on || {}).map(([k, v]) => k + "=" + v).join(", ") || "-")],
    ["Submitted", when(t.submitted_at)],
    ["Started", when(t.started_at)],
    ["Finished", when(t.finished_at)],
  ];
  if (t.timeout_ms) fields.push(["Timeout", ms(t.timeout_ms)]);
  if (t.not_before) fields.push(["Starts", when(t.not_before)]);
  if (t.start_by) fields.push(["Start by", when(t.start_by)]);
  if (t.key) fields.push(["Key", esc(t.key)]);
  // The API shows env by its names and a payload by its size: both are the
  // submitter's secrets.
  if (t.env && Object.keys(t.env).length) fields.push(["Env", `<span class="mono">${esc(Object.keys(t.env).sort().join(", "))}</span>`]);
  if (t.payload_bytes) fields.push(["Payload", t.payload_bytes + " bytes"]);
  // The tasks it runs after (submit --after): each its own page.
  if (t.after && t.after.length) fields.push(["After", t.after.map(link).join(", ")]);
  $("#fields tbody").innerHTML = fields.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("");
  // Output is text, never markup: textContent.
  $("#stdout").textContent = t.stdout || "";
  $("#stderr").textContent = t.stderr || "";
  $("#output-note").textContent = ended.has(t.state)
    ? "(the end of the last attempt's; drover logs " + id + " prints it too)"
    : "(shown when the attempt ends; drover logs -f " + id + " follows it as it runs)";
  $("#history tbody").innerHTML = (t.history || []).map((a) =>
    "<tr>" + [a.n, esc(a.worker), when(a.started_at), when(a.finished_at), a.exit_code ?? "-", esc(a.error || "-")]
      .map((c) => "<td>" + c + "</td>").join("") + "</tr>").join("");
}

let updated = null;
let settling = 0;

// unfiled says whether t was cancelled while its last attempt ran and that
// attempt's output is not in the record yet: its worker files it a moment
// after the cancel (drover logs -f waits up to 2 s for it).
function unfiled(t) {
  const a = (t.history || []).find((h) => h.n === t.attempt);
  return t.state === "cancelled" && a && a.cancelled && !a.stdout_bytes && !a.stderr_bytes && !t.stdout && !t.stderr;
}

// poll refreshes every 2 s until the task has ended, one request at a time.
async function poll() {
  try {
    const t = await get();
    render(t);
    updated = new Date();
    document.body.classList.remove("stale");
    if (unfiled(t) && settling < 4) {
      // Read again, four times in 2 s, for what it printed last.
      settling++;
      $("#status").textContent = "cancelled · its last output may follow · read " + updated.toLocaleTimeString();
      setTimeout(poll, 500);
      return;
    }
    if (ended.has(t.state)) {
      $("#status").textContent = "ended · read " + updated.toLocaleTimeString();
      return;
    }
    $("#status").textContent = "live · updated " + updated.toLocaleTimeString();
  } catch (e) {
    if (e.status === 404) {
      if (updated) document.body.classList.add("stale"); // what was shown is gone
      // No task has the id here (never submitted to this cluster, or
      // pruned by retention): not one that is coming, so not asked again.
      $("#status").textContent = "error: " + e.message + " · no such task on this cluster (a typo, or pruned by retention); not read again";
      return;
    }
    document.body.classList.add("stale");
    $("#status").textContent = "error: " + e.message + (updated ? " · shown as of " + updated.toLocaleTimeString() : "");
  }
  setTimeout(poll, 2000);
}
poll();
