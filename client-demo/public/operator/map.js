// The cluster map (map.html): GET /v1/operator/cluster every second, drawn as the region grid.
const $ = (id) => document.getElementById(id);
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) {
  sessionStorage.setItem("starlane-operator-token", fromHash);
  history.replaceState(null, "", location.pathname);
}
let token = sessionStorage.getItem("starlane-operator-token");
$("login").hidden = Boolean(token);
$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem("starlane-operator-token", token);
  $("login").hidden = true;
  refresh();
});

// One stable colour per zone slot name, so a region changing hands changes colour.
const hue = (name) => [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
const colour = (name) => `hsl(${(hue(name) * 137) % 360} 65% 62%)`;

function draw(status) {
  const cells = new Map();
  for (const z of status.zones) for (const r of z.regions) cells.set(r.id, { zone: z, region: r });
  const ids = [...cells.keys(), ...status.unowned];
  const at = (id) => id.split("-").slice(1).map(Number);
  const cols = Math.max(...ids.map((id) => at(id)[0])) + 1;
  const rows = Math.max(...ids.map((id) => at(id)[1])) + 1;
  const grid = $("grid");
  grid.style.gridTemplateColumns = `repeat(${cols}, 1fr)`;
  grid.replaceChildren();
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const id = `region-${col}-${row}`;
      const cell = document.createElement("div");
      cell.className = "cell";
      cell.dataset.region = id;
      const c = cells.get(id);
      if (c) {
        cell.style.background = colour(c.zone.name);
        cell.dataset.zone = c.zone.name;
        const p99 = c.region.tickP99Ms === null ? "-" : `${c.region.tickP99Ms.toFixed(2)} ms`;
        cell.innerHTML = `<b></b><small></small><small></small>`;
        cell.children[0].textContent = id;
        cell.children[1].textContent = `${c.zone.name} · epoch ${c.region.epoch}`;
        cell.children[2].textContent = `${c.region.players} players · p99 ${p99}`;
      } else {
        cell.classList.add("unowned");
        cell.innerHTML = `<b></b><small>unowned</small>`;
        cell.children[0].textContent = id;
      }
      grid.append(cell);
    }
  }
  $("legend").replaceChildren(
    ...status.zones.map((z) => {
      const s = document.createElement("span");
      s.style.background = colour(z.name);
      const players = z.regions.reduce((n, r) => n + r.players, 0);
      s.textContent = `${z.name} (${z.id}, ${z.address}): ${z.regions.length} regions, ${players} players`;
      return s;
    }),
  );
}

async function refresh() {
  if (!token) {
    $("state").textContent = "enter the operator token (the file npm start / npm run cluster printed)";
    $("login").hidden = false;
    return;
  }
  try {
    const res = await fetch("/v1/operator/cluster", { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 401) {
      sessionStorage.removeItem("starlane-operator-token");
      token = null;
      $("state").textContent = "the operator credential was refused";
      $("login").hidden = false;
      return;
    }
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
    draw(await res.json());
    $("state").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    $("state").textContent = `cannot read the cluster: ${err.message}`;
  }
}
refresh();
setInterval(refresh, 1000);
