//! A real headless Chromium driven through chromedriver with `fantoccini`, behind a small
//! synchronous facade so the tests read top to bottom and can call the blocking `reqwest`
//! helpers of `common` in between (those must not run inside an async runtime).
//!
//! Every wait polls with a deadline ([`WAIT`]); nothing sleeps for a fixed time to "let the
//! page settle". Each [`Browser`] has its own chromedriver on a free port and its own
//! profile directory, so browser tests run in parallel with each other and with every other
//! test binary.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::needs::{self, on_path};

/// How long any awaited condition may take: generous for a loaded CI machine, short enough
/// that a broken page fails the test quickly.
pub const WAIT: Duration = Duration::from_secs(10);

/// How often a wait re-checks its condition.
const POLL: Duration = Duration::from_millis(50);

/// The desktop viewport of the screenshots and of every test by default.
pub const DESKTOP: (u32, u32) = (1280, 900);

/// A phone viewport (an iPhone 12–15 in CSS pixels).
pub const PHONE: (u32, u32) = (390, 844);

/// The WebDriver "Enter" key, for submitting in-place edits.
pub const ENTER: &str = "\u{E007}";

/// The WebDriver "Escape" key, for cancelling in-place edits.
pub const ESCAPE: &str = "\u{E00C}";

/// The WebDriver key code for Tab.
pub const TAB: &str = "\u{E004}";

/// Where Debian puts Chromium; chromedriver must be told, it does not look for it.
const CHROMIUM_PATHS: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/// Without the first eight, Chromium as root on a machine with no outside network stalls
/// or refuses to start: no sandbox (root), no GPU, no /dev/shm (small in containers), and
/// none of the background fetches that would wait on a network that is not there. English
/// keeps the app's language choice (from the browser) the same everywhere; hidden
/// scrollbars take no room, like a phone's, so the layout at 390 px is what a phone gets.
const CHROMIUM_ARGS: [&str; 10] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=en-US",
    "--hide-scrollbars",
];

/// The two programs the browser tests need, when both are installed.
struct Programs {
    chromedriver: PathBuf,
    chromium: PathBuf,
}

impl Programs {
    /// Both programs, or what is missing.
    fn find() -> Result<Programs, String> {
        let chromedriver = on_path("chromedriver").or_else(|| {
            let p = PathBuf::from("/usr/bin/chromedriver");
            p.is_file().then_some(p)
        });
        let chromium = CHROMIUM_PATHS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .or_else(|| on_path("chromium"));
        match (chromedriver, chromium) {
            (Some(chromedriver), Some(chromium)) => Ok(Programs {
                chromedriver,
                chromium,
            }),
            (chromedriver, chromium) => {
                let mut missing = Vec::new();
                if chromedriver.is_none() {
                    missing.push("chromedriver not found on PATH or in /usr/bin");
                }
                if chromium.is_none() {
                    missing.push("chromium not found in /usr/bin or on PATH");
                }
                Err(missing.join(", "))
            }
        }
    }
}

/// A free TCP port on the loopback interface, chosen by the OS.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// One headless Chromium session; chromedriver and the browser are gone once it is dropped.
pub struct Browser {
    /// `http://127.0.0.1:PORT` of the server under test, without a trailing slash.
    pub base: String,
    client: Option<Client>,
    rt: tokio::runtime::Runtime,
    driver: Child,
    /// Where screenshots go (`MYCLOUD_SCREENSHOTS`), `None` when they are not wanted.
    shots: Option<PathBuf>,
    /// Suffix of screenshot names: `desktop` or `phone`, following [`Browser::set_viewport`].
    form_factor: &'static str,
    /// Chromedriver's log, shown when a test fails.
    driver_log: PathBuf,
    // Last: the profile and logs go after the processes are dead.
    _dir: TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium pointed at nothing yet.
    ///
    /// Returns `None` (after a loud line on stderr) when the programs are missing on a
    /// developer's machine, so `cargo test` stays usable there; with `CI=true` a missing
    /// browser fails the test instead, so CI can never pass by skipping.
    pub fn launch(base: &str) -> Option<Browser> {
        let programs = match Programs::find() {
            Ok(programs) => programs,
            Err(why) => {
                needs::unavailable(
                    "the browser tests",
                    &why,
                    "apt-get install chromium chromium-driver",
                );
                return None;
            }
        };
        let shots = std::env::var_os("MYCLOUD_SCREENSHOTS")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        if let Some(dir) = &shots {
            std::fs::create_dir_all(dir).expect("create the screenshot dir");
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temp dir for the browser");
        let driver_log = dir.path().join("chromedriver.log");

        // The port is free when chosen but could be taken before chromedriver binds it:
        // try a few times rather than fail on that rare race.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let mut driver = spawn_chromedriver(&programs.chromedriver, port, &driver_log);
            let url = format!("http://127.0.0.1:{port}");
            if let Err(e) = wait_for_driver(&mut driver, &url) {
                last_error = e;
                kill_group(&mut driver);
                continue;
            }
            let profile = dir.path().join(format!("profile-{port}"));
            let caps = capabilities(&programs.chromium, &profile);
            let connected = rt.block_on(async {
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps)
                    .connect(&url)
                    .await
            });
            match connected {
                Ok(client) => {
                    let browser = Browser {
                        base: base.trim_end_matches('/').to_string(),
                        client: Some(client),
                        rt,
                        driver,
                        shots,
                        form_factor: "desktop",
                        driver_log,
                        _dir: dir,
                    };
                    browser.set_viewport(DESKTOP);
                    return Some(browser);
                }
                Err(e) => {
                    last_error = format!("new session failed: {e}");
                    kill_group(&mut driver);
                }
            }
        }
        let log = std::fs::read_to_string(&driver_log).unwrap_or_default();
        panic!(
            "could not start chromedriver + chromium: {last_error}\n--- chromedriver log ---\n{log}"
        );
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("browser session is open")
    }

    /// Runs one WebDriver command to completion, panicking with `what` on failure.
    #[track_caller]
    fn run<T, E: std::fmt::Display>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, E>>,
    ) -> T {
        match self.rt.block_on(fut) {
            Ok(v) => v,
            Err(e) => panic!("browser: {what} failed: {e}"),
        }
    }

    /// A full URL for `path` (`/files`), or `path` itself when it is already absolute.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Navigates to `path` on the server (or an absolute URL) and waits for the load event.
    #[track_caller]
    pub fn goto(&self, path: &str) {
        let url = self.url(path);
        self.run(&format!("goto {url}"), self.client().goto(&url));
    }

    /// Reloads the page, as the browser's reload button does.
    #[track_caller]
    pub fn refresh(&self) {
        self.run("refresh", self.client().refresh());
    }

    /// Goes one step back in the history, as the browser's back button does.
    #[track_caller]
    pub fn back(&self) {
        self.run("back", self.client().back());
    }

    /// Goes one step forward in the history, as the browser's forward button does.
    #[track_caller]
    pub fn forward(&self) {
        self.run("forward", self.client().forward());
    }

    /// The current path with its query, e.g. `/login?next=%2Ffiles`.
    #[track_caller]
    pub fn path(&self) -> String {
        let url = self.run("current_url", self.client().current_url());
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits until `<main data-page="NAME">` is in the document: the app sets it once the
    /// page has rendered and loaded its data, so it is the one reliable "ready" signal. It
    /// also proves the module scripts ran under the page's strict CSP.
    #[track_caller]
    pub fn wait_page(&self, name: &str) {
        let css = format!("main[data-page=\"{name}\"]");
        let found = self.poll(|b| b.exists(&css));
        if !found {
            let now = self.js("const m = document.querySelector('main[data-page]'); return m ? m.dataset.page : null;", vec![]);
            panic!(
                "page {name:?} did not appear within {WAIT:?}; at {} the page is {now}",
                self.path()
            );
        }
    }

    /// Waits up to [`WAIT`] for `cond`; returns whether it came true.
    pub fn poll(&self, mut cond: impl FnMut(&Browser) -> bool) -> bool {
        let deadline = Instant::now() + WAIT;
        loop {
            if cond(self) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits up to [`WAIT`] for `cond`, panicking with `what` when it never holds.
    #[track_caller]
    pub fn wait_until(&self, what: &str, cond: impl FnMut(&Browser) -> bool) {
        if !self.poll(cond) {
            panic!(
                "timed out after {WAIT:?} waiting until {what} (at {})",
                self.path()
            );
        }
    }

    /// Whether an element matching `css` is in the document now (no waiting).
    pub fn exists(&self, css: &str) -> bool {
        self.count(css) > 0
    }

    /// How many elements match `css` now (no waiting). A page that is being replaced
    /// (a reload, a navigation) cannot run scripts for a moment: that counts as none, so
    /// waits built on this keep polling instead of failing.
    pub fn count(&self, css: &str) -> usize {
        let script = "return document.querySelectorAll(arguments[0]).length;";
        self.try_js(script, vec![json!(css)])
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as usize
    }

    /// Waits for an element matching `css` and returns it.
    #[track_caller]
    pub fn find(&self, css: &str) -> fantoccini::elements::Element {
        let wait = self.client().wait().at_most(WAIT).every(POLL);
        self.run(
            &format!("waiting for {css}"),
            wait.for_element(Locator::Css(css)),
        )
    }

    /// Waits until nothing matches `css` any more.
    #[track_caller]
    pub fn wait_gone(&self, css: &str) {
        self.wait_until(&format!("{css} is gone"), |b| !b.exists(css));
    }

    /// Waits until exactly `n` elements match `css`.
    #[track_caller]
    pub fn wait_count(&self, css: &str, n: usize) {
        let mut last = 0;
        if !self.poll(|b| {
            last = b.count(css);
            last == n
        }) {
            panic!("expected {n} × {css}, found {last} after {WAIT:?}");
        }
    }

    /// Clicks the element matching `css` once it is there and clickable. A click can be
    /// refused while something (a toast, a closing dialog) briefly covers the element, so
    /// a refused click is retried until the deadline rather than failing at once.
    #[track_caller]
    pub fn click(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let element = self.find(css);
            match self.rt.block_on(element.click()) {
                Ok(()) => return,
                Err(_) if Instant::now() < deadline => std::thread::sleep(POLL),
                Err(e) => panic!("browser: clicking {css} failed: {e}"),
            }
        }
    }

    /// Chooses the option with `value` in the `<select>` matching `css`.
    #[track_caller]
    pub fn select(&self, css: &str, value: &str) {
        let element = self.find(css);
        self.run(
            &format!("selecting {value} in {css}"),
            element.select_by_value(value),
        );
    }

    /// Replaces the value of the input matching `css` with `value`, typing it as a user.
    #[track_caller]
    pub fn fill(&self, css: &str, value: &str) {
        let element = self.find(css);
        self.run(&format!("clearing {css}"), element.clear());
        self.run(&format!("typing into {css}"), element.send_keys(value));
    }

    /// Types `keys` into the element matching `css` without clearing it first (e.g.
    /// [`ENTER`], or the paths for a file input).
    #[track_caller]
    pub fn type_keys(&self, css: &str, keys: &str) {
        let element = self.find(css);
        self.run(&format!("typing into {css}"), element.send_keys(keys));
    }

    /// Sends `keys` to whatever has the focus now, as a keyboard would.
    #[track_caller]
    pub fn press(&self, keys: &str) {
        let client = self.client();
        let element = self.run("finding the focused element", client.active_element());
        self.run("pressing keys", element.send_keys(keys));
    }

    /// Presses Tab until the focused element matches `css`; panics after 60 presses.
    #[track_caller]
    pub fn tab_to(&self, css: &str) {
        let matches = format!("return !!document.activeElement?.matches({css:?});");
        for _ in 0..60 {
            if self.js(&matches, vec![]) == serde_json::Value::Bool(true) {
                return;
            }
            self.press(TAB);
        }
        panic!("Tab never reached {css} (at {})", self.path());
    }

    /// The rendered text of the element matching `css` (waits for it).
    #[track_caller]
    pub fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.run(&format!("text of {css}"), element.text())
    }

    /// The `textContent` of the first element matching `css`, `None` when there is none.
    /// Unlike [`Browser::text`] it does not wait and also reads hidden elements.
    pub fn text_now(&self, css: &str) -> Option<String> {
        let script = "const e = document.querySelector(arguments[0]); \
                      return e ? e.textContent : null;";
        self.try_js(script, vec![json!(css)])?
            .as_str()
            .map(|s| s.trim().to_string())
    }

    /// A DOM property (e.g. `href`, resolved to an absolute URL; `value`; `checked`).
    #[track_caller]
    pub fn prop(&self, css: &str, name: &str) -> Option<String> {
        let element = self.find(css);
        self.run(&format!("property {name} of {css}"), element.prop(name))
    }

    /// Runs `script` as a function body in the page and returns its result.
    #[track_caller]
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.run("execute script", self.client().execute(script, args))
    }

    /// [`Browser::js`] for polling: `None` when the script could not run (e.g. while the
    /// page is being replaced).
    pub fn try_js(&self, script: &str, args: Vec<Value>) -> Option<Value> {
        self.rt.block_on(self.client().execute(script, args)).ok()
    }

    /// Runs `script` as an async function body: it must call `arguments[arguments.length
    /// - 1]` with its result.
    #[track_caller]
    pub fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.run(
            "execute async script",
            self.client().execute_async(script, args),
        )
    }

    /// Sets the size of the page's viewport (not of the window around it) to `(w, h)` CSS
    /// pixels, so `window.innerWidth` is exactly what a device of that width reports and a
    /// screenshot is exactly `w`×`h`. Headless Chromium still draws a window frame of some
    /// size around the page, so the window is set, measured and corrected.
    #[track_caller]
    pub fn set_viewport(&self, (w, h): (u32, u32)) {
        let mut window = (w, h);
        let mut inner = (0, 0);
        for _ in 0..3 {
            self.run(
                "set_window_size",
                self.client().set_window_size(window.0, window.1),
            );
            inner = self.settled_viewport();
            if inner == (w, h) {
                return;
            }
            // Grow (or shrink) the window by what the viewport is off by.
            window = (
                (window.0 + w).saturating_sub(inner.0),
                (window.1 + h).saturating_sub(inner.1),
            );
        }
        panic!("could not set the viewport to {w}×{h}: it is {inner:?}");
    }

    /// The viewport size once a resize has taken effect: a resize is applied
    /// asynchronously, so read until two readings a poll interval apart agree.
    fn settled_viewport(&self) -> (u32, u32) {
        let read = || {
            let v = self.js("return [window.innerWidth, window.innerHeight];", vec![]);
            (
                v[0].as_u64().unwrap_or(0) as u32,
                v[1].as_u64().unwrap_or(0) as u32,
            )
        };
        let mut last = read();
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            std::thread::sleep(POLL);
            let now = read();
            if now == last || Instant::now() > deadline {
                return now;
            }
            last = now;
        }
    }

    /// Switches to the phone viewport; screenshots are named `*-phone.png` from now on.
    #[track_caller]
    pub fn phone(&mut self) {
        self.set_viewport(PHONE);
        self.form_factor = "phone";
    }

    /// Switches to the desktop viewport; screenshots are named `*-desktop.png` from now on.
    #[track_caller]
    pub fn desktop(&mut self) {
        self.set_viewport(DESKTOP);
        self.form_factor = "desktop";
    }

    /// Saves a PNG of the viewport as `NAME-desktop.png` or `NAME-phone.png` in
    /// `MYCLOUD_SCREENSHOTS`; does nothing when that is unset. Focus rings, carets and
    /// toasts left over from earlier steps are taken out first, so the documentation
    /// pictures show the page itself and do not depend on timing.
    #[track_caller]
    pub fn screenshot(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        self.js(
            "if (document.activeElement && document.activeElement !== document.body) \
               document.activeElement.blur(); \
             document.querySelectorAll('[data-toast]').forEach((t) => { \
               t.style.visibility = 'hidden'; });",
            vec![],
        );
        let want = match self.form_factor {
            "phone" => PHONE,
            _ => DESKTOP,
        };
        let mut png = self.run("screenshot", self.client().screenshot());
        if png_size(&png) != Some(want) {
            // The window frame of headless Chromium can change size after a resize; set
            // the viewport again rather than keep a picture of the wrong size.
            self.set_viewport(want);
            png = self.run("screenshot", self.client().screenshot());
        }
        assert_eq!(
            png_size(&png),
            Some(want),
            "screenshot {name} has the wrong size"
        );
        let path = dir.join(format!("{name}-{}.png", self.form_factor));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
    }

    /// Asserts the page does not scroll sideways: on a phone a table or a long name that
    /// pushes the layout wider than the screen makes every page awkward to use.
    #[track_caller]
    pub fn assert_no_horizontal_scroll(&self) {
        let sizes = self.js(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        );
        let (scroll, inner) = (sizes[0].as_u64().unwrap(), sizes[1].as_u64().unwrap());
        assert!(
            scroll <= inner,
            "{} scrolls sideways at {inner} px: the document is {scroll} px wide; widest: {}",
            self.path(),
            self.widest_elements()
        );
    }

    /// The elements that stick out past the right edge of the viewport, for the message of
    /// a failed [`Browser::assert_no_horizontal_scroll`].
    fn widest_elements(&self) -> Value {
        self.js(
            "const out = []; \
             for (const e of document.querySelectorAll('body *')) { \
               const r = e.getBoundingClientRect(); \
               if (r.right > window.innerWidth + 1) out.push(e.tagName.toLowerCase() + \
                 (e.className ? '.' + e.className : '') + ' right=' + Math.round(r.right)); \
             } \
             return out.slice(0, 8);",
            vec![],
        )
    }

    /// Every string stored in the page's IndexedDB databases (all stores, all records).
    /// The app keeps its session token there; the tests find it without depending on the
    /// database's layout.
    #[track_caller]
    pub fn indexeddb_strings(&self) -> Vec<String> {
        let script = r#"
            const done = arguments[arguments.length - 1];
            const strings = [];
            const walk = (v) => {
              if (typeof v === 'string') strings.push(v);
              else if (v && typeof v === 'object') Object.values(v).forEach(walk);
            };
            const req = (r) => new Promise((ok, fail) => {
              r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
            });
            (async () => {
              for (const info of await indexedDB.databases()) {
                const db = await req(indexedDB.open(info.name));
                for (const store of db.objectStoreNames) {
                  const tx = db.transaction(store, 'readonly');
                  walk(await req(tx.objectStore(store).getAll()));
                }
                db.close();
              }
              done(strings);
            })().catch((e) => done('error: ' + e));
        "#;
        let value = self.js_async(script, vec![]);
        match value {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            other => panic!("reading IndexedDB failed: {other}"),
        }
    }

    /// The browser console since the last call (chromedriver's `browser` log).
    #[track_caller]
    pub fn console(&self) -> Vec<Value> {
        let value = self.run(
            "reading the browser log",
            self.client().issue_cmd(browser_log()),
        );
        value.as_array().cloned().unwrap_or_default()
    }

    /// Grants the page a permission such as `clipboard-read` (W3C permissions extension),
    /// which a headless browser otherwise denies without asking.
    #[track_caller]
    pub fn grant(&self, permission: &str) {
        let cmd = SessionPost {
            path: "permissions",
            body: json!({"descriptor": {"name": permission}, "state": "granted"}),
        };
        self.run(
            &format!("granting {permission}"),
            self.client().issue_cmd(cmd),
        );
    }

    /// Runs a Chrome DevTools Protocol command on the page through chromedriver's
    /// `goog/cdp/execute` (Chromium only), e.g. `Network.emulateNetworkConditions`.
    #[track_caller]
    pub fn cdp(&self, command: &str, params: Value) -> Value {
        let cmd = SessionPost {
            path: "goog/cdp/execute",
            body: json!({"cmd": command, "params": params}),
        };
        self.run(&format!("CDP {command}"), self.client().issue_cmd(cmd))
    }

    /// The browser's network as DevTools emulates it: `offline` fails every new request
    /// (one already on the wire finishes), `upload` caps the bytes a second sent (`None`:
    /// as fast as the machine goes). Chromium throttles request bodies only with the
    /// Network domain enabled, so it is enabled first. Lasts across reloads of the tab.
    #[track_caller]
    pub fn emulate_network(&self, offline: bool, upload: Option<u64>) {
        self.cdp("Network.enable", json!({}));
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({
                "offline": offline,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": upload.map_or(-1, |b| b as i64),
            }),
        );
    }

    /// Asserts the console holds no script error, CSP violation or other problem with the
    /// app itself. Failed HTTP requests (a 401 after a wrong password, a 404 for a deleted
    /// file) are logged by Chromium too, but those are answers the tests provoke on purpose,
    /// so network entries are allowed.
    #[track_caller]
    pub fn assert_clean_console(&self) {
        let bad: Vec<Value> = self
            .console()
            .into_iter()
            .filter(|entry| {
                let level = entry["level"].as_str().unwrap_or("");
                let message = entry["message"].as_str().unwrap_or("");
                let source = entry["source"].as_str().unwrap_or("");
                let network = source == "network"
                    || message.contains("Failed to load resource: the server responded");
                let csp = message.contains("Content Security Policy");
                csp || (matches!(level, "SEVERE" | "WARNING") && !network)
            })
            .collect();
        assert!(
            bad.is_empty(),
            "the browser console shows problems with the app:\n{}",
            serde_json::to_string_pretty(&bad).unwrap_or_default()
        );
    }

    /// Some context for a failing test: where the browser is and what the page says.
    fn describe(&self) -> String {
        let Some(client) = &self.client else {
            return String::new();
        };
        let url = self
            .rt
            .block_on(client.current_url())
            .map(|u| u.to_string())
            .unwrap_or_default();
        let body = self
            .rt
            .block_on(client.execute(
                "return document.body ? document.body.innerText.slice(0, 2000) : '';",
                vec![],
            ))
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let console = self
            .rt
            .block_on(client.issue_cmd(browser_log()))
            .map(|v| v.to_string())
            .unwrap_or_default();
        format!("url: {url}\n--- page text ---\n{body}\n--- console ---\n{console}")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- browser state at failure ---\n{}", self.describe());
            let log = std::fs::read_to_string(&self.driver_log).unwrap_or_default();
            let tail: String = log
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            eprintln!("--- chromedriver log (tail) ---\n{tail}");
        }
        // Ends the session: chromedriver quits Chromium. Bounded, so a hung browser cannot
        // hang the test run; the process group kill below is the backstop.
        if let Some(client) = self.client.take() {
            let _ = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), client.close()).await
            });
        }
        kill_group(&mut self.driver);
    }
}

/// Width and height from a PNG's header, `None` when the bytes are not a PNG.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") || png.len() < 24 {
        return None;
    }
    let w = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(png[20..24].try_into().ok()?);
    Some((w, h))
}

/// `goog:chromeOptions` for a headless Chromium with a fresh profile, plus the console log.
fn capabilities(chromium: &Path, profile: &Path) -> Capabilities {
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--window-size={},{}", DESKTOP.0, DESKTOP.1));
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": args,
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

/// Chromedriver in its own process group, so that dropping the [`Browser`] can end it and
/// every Chromium process it started with one signal.
fn spawn_chromedriver(program: &Path, port: u16, log: &Path) -> Child {
    let log = File::create(log).expect("chromedriver log file");
    Command::new(program)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log handle"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program:?}: {e}"))
}

/// Waits until chromedriver answers `GET /status` with `ready: true`.
fn wait_for_driver(driver: &mut Child, url: &str) -> Result<(), String> {
    let http = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("http client");
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!("chromedriver exited early: {status}"));
        }
        let ready = http
            .get(format!("{url}/status"))
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .is_some_and(|v| v["value"]["ready"] == json!(true));
        if ready {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "chromedriver did not answer on {url} within {WAIT:?}"
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// SIGKILL to chromedriver's whole process group (Chromium included), then reap it.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// A WebDriver command fantoccini has no method for: `POST /session/{id}/PATH` with a JSON
/// body. Used for chromedriver's console log (`se/log`), the W3C permissions extension
/// (`permissions`) and DevTools commands (`goog/cdp/execute`).
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        let session = session_id.unwrap_or("");
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _url: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(self.body.to_string()))
    }
}

/// Chromedriver's `se/log` for the `browser` log: the console messages (including CSP
/// violations and uncaught errors) since the previous call.
fn browser_log() -> SessionPost {
    SessionPost {
        path: "se/log",
        body: json!({"type": "browser"}),
    }
}
