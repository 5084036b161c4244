// The door staff's scanner: camera (BarcodeDetector or the vendored jsQR), keyboard-wedge
// input, a big answer with a beep, and an offline queue that is sent again with the same
// nonces (and "offline": true) when the network returns. No build step, no inline script.
(function () {
  "use strict";

  const QUEUE_KEY = "checkin-offline-queue";
  const REPEAT_MS = 3000; // the camera sees the same badge many times a second

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function uuid() {
    // crypto.randomUUID needs a secure context; a phone on the venue LAN may not have one.
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // --- sound ------------------------------------------------------------------------------
  let audio = null;
  function unlockAudio() {
    if (audio) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (Context) audio = new Context();
  }
  function tone(frequency, start, duration, type) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = type;
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, audio.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + start + duration);
    osc.connect(gain).connect(audio.destination);
    osc.start(audio.currentTime + start);
    osc.stop(audio.currentTime + start + duration + 0.02);
  }
  function beep(kind) {
    if (!audio) return;
    if (audio.state === "suspended") audio.resume();
    if (kind === "ok") tone(880, 0, 0.15, "sine");
    else if (kind === "warn") { tone(660, 0, 0.12, "triangle"); tone(660, 0.18, 0.12, "triangle"); }
    else if (kind === "error") tone(196, 0, 0.45, "square");
    else tone(440, 0, 0.08, "sine");
  }

  ready(function () {
    const root = document.getElementById("scanner");
    const picker = document.querySelector("[data-autosubmit]");
    if (picker) picker.addEventListener("change", () => picker.form.submit());
    if (!root) return;

    const t = root.dataset;
    const listSlug = t.list;
    // Pages that reuse this scanner for another API (booth lead scanning) keep their own queue.
    const queueKey = t.queueKey || QUEUE_KEY;
    const resultBox = document.getElementById("scan-result");
    const queueStatus = document.getElementById("queue-status");
    const wedgeForm = document.getElementById("wedge-form");
    const wedgeInput = document.getElementById("wedge-input");
    const video = document.getElementById("camera-video");
    const canvas = document.getElementById("camera-canvas");
    const cameraButton = document.getElementById("camera-toggle");

    ["pointerdown", "keydown", "touchstart"].forEach((name) =>
      document.addEventListener(name, unlockAudio, { once: true, capture: true })
    );

    // --- the answer ------------------------------------------------------------------------
    function el(tag, className, text) {
      const node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined) node.textContent = text;
      return node;
    }

    function timeOf(iso) {
      if (!iso) return "";
      const match = /T(\d\d):(\d\d)/.exec(iso); // the server sends the venue's local time
      return match ? `${match[1]}:${match[2]}` : iso;
    }

    function show(answer) {
      let css = "result-error";
      let title = answer.message || t.tBad;
      let sound = "error";
      if (answer.status === "ok") {
        css = "result-ok";
        title = answer.direction === "out" ? t.tOut : t.tOk;
        sound = "ok";
      } else if (answer.reason === "already_checked_in") {
        css = "result-warn";
        title = t.tAlready.replace("{time}", timeOf(answer.first_checked_in_at));
        sound = "warn";
      } else if (answer.status === "queued") {
        css = "result scan-queued";
        title = t.tQueued;
        sound = "queued";
      }
      const box = el("div", `${css} scan-answer flash-anim`);
      box.setAttribute("role", "status");
      box.dataset.status = answer.status;
      box.dataset.reason = answer.reason || "";
      box.appendChild(el("strong", "", title));
      if (answer.attendee) {
        box.appendChild(el("p", "scan-name", answer.attendee.name));
        const details = [answer.attendee.organization, answer.attendee.category_label || answer.attendee.category]
          .filter(Boolean)
          .join(" · ");
        box.appendChild(el("p", "", details));
      }
      if (answer.reason === "already_checked_in" && t.reentry === "true") {
        box.appendChild(el("p", "", t.tReentry));
      }
      resultBox.replaceChildren(box);
      beep(sound);
      if (navigator.vibrate) navigator.vibrate(sound === "ok" ? 60 : [120, 60, 120]);
    }

    // --- the offline queue -----------------------------------------------------------------
    function readQueue() {
      try {
        return JSON.parse(localStorage.getItem(queueKey) || "[]");
      } catch (error) {
        return [];
      }
    }
    function writeQueue(items) {
      localStorage.setItem(queueKey, JSON.stringify(items));
      if (!items.length) {
        queueStatus.hidden = true;
        queueStatus.textContent = "";
      } else {
        queueStatus.hidden = false;
        queueStatus.textContent = t.tQueue.replace("{count}", String(items.length));
      }
    }
    function enqueue(body) {
      const items = readQueue();
      if (!items.some((item) => item.nonce === body.nonce)) items.push({ ...body, offline: true });
      writeQueue(items);
    }

    async function post(body) {
      const response = await fetch(t.scanUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: JSON.stringify(body),
      });
      let data = null;
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
      return { response, data };
    }

    let flushing = false;
    async function flush() {
      if (flushing || !navigator.onLine) return;
      let items = readQueue();
      if (!items.length) return;
      flushing = true;
      try {
        for (const item of items.slice()) {
          let result;
          try {
            result = await post(item);
          } catch (error) {
            break; // still offline
          }
          const status = result.response.status;
          if (status >= 500 || status === 429 || status === 401 || status === 403) break;
          // Answered (200) or refused for good (400/404): either way it is no longer queued.
          items = readQueue().filter((queued) => queued.nonce !== item.nonce);
          writeQueue(items);
        }
        if (!readQueue().length) {
          document.body.dispatchEvent(new CustomEvent("checkin:scanned", { bubbles: true }));
          queueStatus.hidden = false;
          queueStatus.textContent = t.tSent;
          setTimeout(() => {
            if (!readQueue().length) queueStatus.hidden = true;
          }, 4000);
        }
      } finally {
        flushing = false;
      }
    }

    function direction() {
      const checked = wedgeForm.querySelector('input[name="direction"]:checked');
      return checked ? checked.value : "in";
    }

    async function submit(token) {
      token = (token || "").trim();
      if (!token) return;
      const body = {
        token: token,
        list: listSlug,
        direction: direction(),
        nonce: uuid(),
        scanned_at: new Date().toISOString(),
      };
      if (!navigator.onLine) {
        enqueue(body);
        show({ status: "queued" });
        return;
      }
      let result;
      try {
        result = await post(body);
      } catch (error) {
        enqueue(body);
        show({ status: "queued" });
        return;
      }
      const status = result.response.status;
      if (status === 200 && result.data) {
        show(result.data);
        document.body.dispatchEvent(new CustomEvent("checkin:scanned", { bubbles: true }));
        flush();
      } else if (status === 401 || status === 403) {
        show({ status: "error", message: t.tLogin });
      } else if (status === 429) {
        enqueue(body);
        show({ status: "error", message: t.tBusy });
      } else if (status >= 500) {
        enqueue(body);
        show({ status: "queued" });
      } else {
        show({ status: "error", message: (result.data && result.data.message) || t.tBad });
      }
    }

    // --- keyboard wedge: a USB scanner types the code and presses Enter ---------------------
    wedgeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const token = wedgeInput.value;
      wedgeInput.value = "";
      submit(token);
      wedgeInput.focus();
    });
    // Keep the focus in the input so the next badge lands there, unless the staff member is
    // typing elsewhere (search) or pressing a button.
    document.addEventListener("click", (event) => {
      if (!event.target.closest("input, select, textarea, button, a, label, form")) wedgeInput.focus();
    });

    // --- camera ----------------------------------------------------------------------------
    let stream = null;
    let detector = null;
    let timer = null;
    let lastToken = "";
    let lastAt = 0;

    function loadJsQR() {
      if (window.jsQR) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = t.jsqrUrl;
        script.onload = () => resolve();
        script.onerror = () => reject(new Error("jsQR failed to load"));
        document.head.appendChild(script);
      });
    }

    async function decodeFrame() {
      if (!stream || video.readyState < 2) return null;
      if (detector) {
        const codes = await detector.detect(video);
        return codes.length ? codes[0].rawValue : null;
      }
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) return null;
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, width, height);
      const image = context.getImageData(0, 0, width, height);
      const code = window.jsQR(image.data, width, height, { inversionAttempts: "attemptBoth" });
      return code ? code.data : null;
    }

    async function tick() {
      try {
        const token = await decodeFrame();
        const now = Date.now();
        if (token && (token !== lastToken || now - lastAt > REPEAT_MS)) {
          lastToken = token;
          lastAt = now;
          submit(token);
        }
      } catch (error) {
        // A frame that cannot be read is simply skipped.
      }
    }

    async function startCamera() {
      try {
        if ("BarcodeDetector" in window) {
          const formats = await window.BarcodeDetector.getSupportedFormats();
          if (formats.includes("qr_code")) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        }
        if (!detector) await loadJsQR();
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: "environment" },
          audio: false,
        });
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        cameraButton.textContent = t.tCameraOn;
        root.dataset.camera = detector ? "barcode-detector" : "jsqr";
        timer = setInterval(tick, 200);
      } catch (error) {
        stopCamera();
        show({ status: "error", message: t.tCameraError });
      }
    }

    function stopCamera() {
      if (timer) clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.hidden = true;
      cameraButton.textContent = t.tCameraOff;
      delete root.dataset.camera;
    }

    cameraButton.addEventListener("click", () => (stream ? stopCamera() : startCamera()));

    // --- the network comes back ------------------------------------------------------------
    window.addEventListener("online", flush);
    setInterval(flush, 10000);
    writeQueue(readQueue());
    flush();

    // Answers swapped in by htmx (check-in from the search) beep too.
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail.target !== resultBox) return;
      const answer = resultBox.querySelector(".scan-answer");
      if (!answer) return;
      const reason = answer.dataset.reason;
      beep(answer.dataset.status === "ok" ? "ok" : reason === "already_checked_in" ? "warn" : "error");
    });
  });
})();
