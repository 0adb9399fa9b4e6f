// Keeps the room's table current: asks the dashboard's JSON every few seconds and rebuilds
// the rows with textContent only (a learner's name is never parsed as HTML).
(function () {
  "use strict";
  const script = document.currentScript;
  const source = script.dataset.source;
  const every = Number(script.dataset.every) * 1000;

  function element(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    return node;
  }

  function forgetForm(row, csrf) {
    const form = element("form", undefined, {
      method: "post",
      action: "learners/" + row.id + "/forget",
    });
    form.append(element("input", undefined, { type: "hidden", name: "csrf_token", value: csrf }));
    form.append(element("button", "Forget " + row.name, { type: "submit" }));
    return form;
  }

  function render(data) {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const body = document.getElementById("learners");
    const rows = data.learners.map(function (row) {
      const tr = element("tr", undefined, { class: "status-" + row.status });
      tr.append(element("th", row.name, { scope: "row" }));
      tr.append(element("td", row.lesson));
      const list = element("ul", undefined, { class: "tasks" });
      for (const task of row.tasks) {
        const item = element("li", task.text, { class: "task-" + task.state });
        if (task.checks) item.append(" ", element("span", "(" + task.checks + ")", { class: "checks" }));
        list.append(item);
      }
      const tasks = element("td");
      tasks.append(list);
      tr.append(tasks, element("td", row.stuck), element("td", row.last_check));
      const cell = element("td");
      cell.append(forgetForm(row, csrf));
      tr.append(cell);
      return tr;
    });
    if (rows.length === 0) {
      const tr = element("tr");
      tr.append(element("td", "Nobody has joined yet.", { colspan: "6" }));
      rows.push(tr);
    }
    body.replaceChildren(...rows);
    const n = data.learners.length;
    document.getElementById("count").textContent = n + (n === 1 ? " learner" : " learners");
    document.getElementById("updated").textContent = data.updated;
  }

  async function update() {
    try {
      const response = await fetch(source, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        render(await response.json());
      } else {
        document.getElementById("updated").textContent =
          "— not updated: the dashboard answered " + response.status + "; reload the page";
      }
    } catch (error) {
      document.getElementById("updated").textContent =
        "— not updated: the dashboard cannot be reached";
    }
    setTimeout(update, every);
  }

  setTimeout(update, every);
})();
