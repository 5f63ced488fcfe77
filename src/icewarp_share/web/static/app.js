// The buttons of the sharing pages. Every change goes through the JSON
// API with the session's CSRF token; the pages then reload to show what
// the server now holds.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;

async function api(method, url, body) {
  const options = {
    method, credentials: "same-origin",
    headers: {"Accept": "application/json", "X-CSRF-Token": csrf},
  };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  if (response.status === 204) return null;
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

function say(text, isError) {
  const box = document.getElementById("message");
  if (!box) return;
  box.textContent = text;
  box.className = isError ? "message error" : "message";
  box.hidden = !text;
}

function query(params) {
  return new URLSearchParams(params).toString();
}

// region: shared with me

function subscriptionButtons() {
  for (const button of document.querySelectorAll("button.subscribe")) {
    button.addEventListener("click", () => changeSubscription(
      "POST", button.dataset.owner, button.dataset.path));
  }
  for (const button of document.querySelectorAll("button.unsubscribe")) {
    button.addEventListener("click", () => changeSubscription(
      "DELETE", button.dataset.owner, button.dataset.path));
  }
}

async function changeSubscription(method, owner, path) {
  try {
    if (method === "POST") {
      const body = {owner};
      if (path) body.path = path;
      await api("POST", "/api/subscriptions", body);
    } else {
      const params = {owner};
      if (path) params.path = path;
      await api("DELETE", "/api/subscriptions?" + query(params));
    }
    window.location.assign("/shared");
  } catch (error) {
    say(error.message, true);
  }
}

// region: the sharing dialog

const dialogState = {path: null};

function letterBoxes() {
  return Array.from(document.querySelectorAll("#share-form input.letter"));
}

function showLetters(letters) {
  for (const box of letterBoxes()) box.checked = letters.includes(box.value);
}

function checkedLetters() {
  const order = "lrswipkxtea";
  const chosen = letterBoxes().filter(b => b.checked).map(b => b.value);
  return order.split("").filter(c => chosen.includes(c)).join("");
}

function matchPreset() {
  const letters = checkedLetters();
  const select = document.getElementById("preset");
  const match = Array.from(select.options).find(o => o.value === letters);
  select.value = match ? match.value : "custom";
}

function grantRow(grant) {
  const row = document.createElement("tr");
  row.dataset.grantee = grant.grantee;
  const who = document.createElement("td");
  who.textContent = grant.grantee;
  const rights = document.createElement("td");
  rights.textContent = (grant.preset || "custom") + " (" +
    (grant.rights || "none") + ")";
  rights.title = "items: " + (grant.item_rights || "-") +
    ", folder: " + (grant.folder_rights || "-");
  const actions = document.createElement("td");
  const edit = document.createElement("button");
  edit.type = "button";
  edit.textContent = "Change";
  edit.className = "edit-grant";
  edit.addEventListener("click", () => {
    document.getElementById("grantee").value = grant.grantee;
    showLetters(grant.rights);
    matchPreset();
  });
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "Revoke";
  remove.className = "revoke-grant";
  remove.addEventListener("click", () => revoke(grant.grantee));
  actions.append(edit, remove);
  row.append(who, rights, actions);
  return row;
}

async function loadGrants() {
  const answer = await api(
    "GET", "/api/grants?" + query({path: dialogState.path}));
  const rows = document.getElementById("grant-rows");
  rows.replaceChildren(...answer.grants.map(grantRow));
  const note = document.getElementById("inherited-note");
  note.hidden = answer.inherited.length === 0;
  note.textContent = "Inherited from a parent folder: " +
    answer.inherited.map(g => g.grantee + " " + g.rights).join(", ");
}

function dialogError(text) {
  const box = document.getElementById("dialog-error");
  box.textContent = text;
  box.hidden = !text;
}

async function openDialog(button) {
  dialogState.path = button.dataset.path;
  document.getElementById("dialog-folder").textContent = button.dataset.name;
  document.getElementById("grantee").value = "";
  const select = document.getElementById("preset");
  select.value = select.options[1].value;
  showLetters(select.value);
  dialogError("");
  try {
    await loadGrants();
  } catch (error) {
    say(error.message, true);
    return;
  }
  document.getElementById("share-dialog").showModal();
}

async function saveGrant() {
  const grantee = document.getElementById("grantee").value.trim();
  if (!grantee) {
    dialogError("Choose a person, a group, a [domain] or anyone.");
    return;
  }
  try {
    await api("POST", "/api/grants", {path: dialogState.path, grantee,
                                      rights: checkedLetters() || "none"});
    dialogError("");
    document.getElementById("grantee").value = "";
    await loadGrants();
    dialogState.changed = true;
  } catch (error) {
    dialogError(error.message);
  }
}

async function revoke(grantee) {
  try {
    await api("DELETE", "/api/grants?" +
              query({path: dialogState.path, grantee}));
    await loadGrants();
    dialogState.changed = true;
  } catch (error) {
    dialogError(error.message);
  }
}

let searchTimer = null;

function suggest() {
  clearTimeout(searchTimer);
  const text = document.getElementById("grantee").value.trim();
  searchTimer = setTimeout(async () => {
    const list = document.getElementById("grantee-options");
    if (text.length < 1) {
      list.replaceChildren();
      return;
    }
    const answer = await api("GET", "/api/contacts?" + query({q: text}));
    const options = answer.contacts.map(c => {
      const option = document.createElement("option");
      option.value = c.address;
      option.label = (c.name ? c.name + " - " : "") + c.kind;
      return option;
    });
    for (const extra of ["anyone"]) {
      if (extra.startsWith(text.toLowerCase())) {
        const option = document.createElement("option");
        option.value = extra;
        option.label = "every user of this server";
        options.push(option);
      }
    }
    list.replaceChildren(...options);
  }, 150);
}

function sharingDialog() {
  const dialog = document.getElementById("share-dialog");
  if (!dialog) return;
  for (const button of document.querySelectorAll("button.share-button")) {
    button.addEventListener("click", () => openDialog(button));
  }
  document.getElementById("preset").addEventListener("change", event => {
    if (event.target.value !== "custom") showLetters(event.target.value);
  });
  for (const box of letterBoxes()) box.addEventListener("change", matchPreset);
  document.getElementById("grantee").addEventListener("input", suggest);
  document.getElementById("save-grant").addEventListener("click", saveGrant);
  document.getElementById("close-dialog").addEventListener("click", () => {
    dialog.close();
    if (dialogState.changed) window.location.reload();
  });
}

// region: administration

function groupOf(element) {
  return element.closest("tr[data-group]").dataset.group;
}

async function adminAction(promise) {
  try {
    await promise;
    window.location.reload();
  } catch (error) {
    say(error.message, true);
  }
}

function adminPage() {
  const groupPath = g => "/api/admin/groups/" + encodeURIComponent(g);
  for (const box of document.querySelectorAll("input.group-option")) {
    box.addEventListener("change", () => adminAction(api(
      "PATCH", groupPath(groupOf(box)), {[box.dataset.option]: box.checked})));
  }
  for (const button of document.querySelectorAll("button.add-member")) {
    button.addEventListener("click", () => {
      const input = button.parentElement.querySelector("input.new-member");
      adminAction(api("POST", groupPath(groupOf(button)) + "/members",
                      {member: input.value.trim()}));
    });
  }
  for (const button of document.querySelectorAll("button.remove-member")) {
    button.addEventListener("click", () => adminAction(api(
      "DELETE", groupPath(groupOf(button)) + "/members/" +
      encodeURIComponent(button.dataset.member))));
  }
  for (const select of document.querySelectorAll("select.member-rights")) {
    select.addEventListener("change", () => {
      if (!select.value) return;
      adminAction(api("PUT", groupPath(groupOf(select)) + "/members/" +
                      encodeURIComponent(select.dataset.member) + "/rights",
                      {rights: select.value}));
    });
  }
  const form = document.getElementById("new-group");
  if (form) {
    form.addEventListener("submit", event => {
      event.preventDefault();
      const value = id => document.getElementById(id);
      adminAction(api("POST", "/api/admin/groups", {
        address: value("group-address").value.trim(),
        display_name: value("group-name").value.trim(),
        public_folder: value("group-public").checked,
        deliver_to_folder: value("group-deliver").checked,
        gal: value("group-gal").checked,
      }));
    });
  }
  adminFolders();
}

function adminFolders() {
  const table = document.querySelector("table.admin-folders");
  if (!table) return;
  const owner = table.dataset.owner;
  for (const row of table.querySelectorAll("tr[data-path]")) {
    const path = row.dataset.path;
    const gal = row.querySelector("input.folder-gal");
    if (gal) {
      gal.addEventListener("change", () => adminAction(api(
        "PATCH", "/api/admin/folders", {owner, path, gal: gal.checked})));
    }
    const save = row.querySelector("button.save-map");
    if (save) {
      save.addEventListener("click", () => adminAction(api(
        "PATCH", "/api/admin/folders", {
          owner, path, map_dir: row.querySelector("input.map-dir").value,
          map_recursive: row.querySelector("input.map-recursive").checked,
        })));
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  subscriptionButtons();
  sharingDialog();
  adminPage();
});
