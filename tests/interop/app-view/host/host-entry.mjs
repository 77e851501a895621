// The test host page's script, bundled for the browser by esbuild: it uses the official MCP Apps
// host bridge (AppBridge + PostMessageTransport from @modelcontextprotocol/ext-apps/app-bridge)
// to load a view through a sandbox proxy on another origin, as a web host must (SEP-1865,
// "Sandbox proxy"), and lets the harness hand it tool input, results and host-context changes.
import { AppBridge, PostMessageTransport, buildAllowAttribute } from "@modelcontextprotocol/ext-apps/app-bridge";

const HOST_INFO = { name: "fal-mcp app-view harness", version: "1.0.0" };

const state = { opened: [], downloads: [], sizes: [], logs: [], calls: [], bridge: null, iframe: null, context: {} };

function waitFor(bridge, event) {
  return new Promise((resolve) => {
    const handler = (params) => {
      bridge.removeEventListener(event, handler);
      resolve(params);
    };
    bridge.addEventListener(event, handler);
  });
}

window.__host = {
  state,
  // Loads the view: sandbox proxy first (its own origin, CSP from the resource's _meta.ui.csp),
  // then the HTML through ui/notifications/sandbox-resource-ready; resolves once the view sent
  // ui/notifications/initialized.
  // `serverTools`: the host proxies the view's tools/call to the server (window.__callTool, which
  // the harness provides); `noDownload`: a host without ui/download-file.
  async mount({ html, csp, permissions, sandboxUrl, hostContext, serverTools, noDownload }) {
    state.context = hostContext || {};
    document.body.className = state.context.theme === "dark" ? "dark" : "";
    const iframe = document.createElement("iframe");
    iframe.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms");
    const allow = buildAllowAttribute(permissions);
    if (allow) iframe.setAttribute("allow", allow);
    iframe.title = "fal-mcp result";
    const url = new URL(sandboxUrl);
    if (csp) url.searchParams.set("csp", JSON.stringify(csp));
    iframe.src = url.href;
    document.getElementById("slot").replaceChildren(iframe);

    const capabilities = { openLinks: {}, logging: {}, sandbox: { csp, permissions } };
    if (!noDownload) capabilities.downloadFile = {};
    if (serverTools) capabilities.serverTools = {};
    const bridge = new AppBridge(null, HOST_INFO, capabilities, { hostContext: state.context });
    if (serverTools) {
      bridge.oncalltool = async (params) => {
        state.calls.push({ name: params.name, arguments: params.arguments, at: performance.now() });
        return window.__callTool(params);
      };
    }
    bridge.onopenlink = async ({ url }) => {
      state.opened.push(url);
      return {};
    };
    bridge.ondownloadfile = async (params) => {
      state.downloads.push(params);
      return {};
    };
    bridge.onsizechange = ({ height }) => {
      if (typeof height === "number") {
        iframe.style.height = `${height}px`;
        state.sizes.push(height);
      }
    };
    bridge.onloggingmessage = (params) => state.logs.push(params);
    const proxyReady = waitFor(bridge, "sandboxready");
    const initialized = waitFor(bridge, "initialized");
    await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
    await proxyReady;
    await bridge.sendSandboxResourceReady({ html, csp, permissions });
    await initialized;
    state.bridge = bridge;
    state.iframe = iframe;
    return { appInfo: bridge.getAppVersion(), appCapabilities: bridge.getAppCapabilities() };
  },
  input(args) {
    return state.bridge.sendToolInput({ arguments: args });
  },
  // Returns the moment (ms since the epoch, high resolution) just before the result is posted.
  async result(result) {
    const sentAt = performance.timeOrigin + performance.now();
    await state.bridge.sendToolResult(result);
    return sentAt;
  },
  cancelled(reason) {
    return state.bridge.sendToolCancelled({ reason });
  },
  theme(theme) {
    state.context = { ...state.context, theme };
    document.body.className = theme === "dark" ? "dark" : "";
    state.bridge.setHostContext(state.context);
  },
  async teardown() {
    return state.bridge.teardownResource({});
  },
  height() {
    return state.iframe ? state.iframe.getBoundingClientRect().height : 0;
  },
};
