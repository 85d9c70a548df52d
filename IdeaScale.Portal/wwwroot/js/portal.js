// Small browser helpers for the portal. Clipboard writes go through navigator.clipboard.
window.portal = {
    copyText: async function (text) {
        await navigator.clipboard.writeText(text);
        return true;
    }
};

// The skip link moves keyboard focus to the page's main landmark (the router would only scroll to it).
document.addEventListener('click', function (e) {
    var link = e.target instanceof Element ? e.target.closest('a.skip-link') : null;
    var target = link ? document.getElementById(link.getAttribute('href').slice(1)) : null;
    if (target) {
        e.preventDefault();
        e.stopPropagation();
        target.focus();
        target.scrollIntoView();
    }
}, true);

// Dialogs and side panels (MudBlazor dialogs, temporary drawers) and the keyboard:
// - focus moves into an overlay when it opens: to its [data-autofocus] field, else its first field (text, choice),
//   else its first control; never to a bare container, so a destructive button is only reached on purpose;
// - Escape closes the topmost temporary drawer (dialogs close on Escape themselves: MudDialogProvider CloseOnEscapeKey);
// - when an overlay closes and focus is lost (on the body, or left inside the closed overlay), it returns to the
//   control that had it before the overlay opened, once that control is enabled again.
// MudBlazor's own focus trap keeps Tab inside a dialog; its default focus runs before the dialog's content is
// rendered (it lands on a sentinel), so the dialogs use DefaultFocus.None and this script places the focus.
(function () {
    var overlaySelector = '.mud-dialog, .mud-drawer-temporary.mud-drawer--open';
    var fieldSelector = '[data-autofocus], input:not([type=hidden]), textarea, select';
    var controlSelector = 'button, [href], input, textarea, select, [tabindex]:not([tabindex="-1"])';
    var lastOutside = null;
    var open = new Map(); // overlay element -> { opener, focused }
    var scheduled = false;

    function overlayOf(el) {
        return el instanceof Element ? el.closest('.mud-dialog, .mud-drawer-temporary') : null;
    }

    function usable(el) {
        return !el.disabled && !el.closest('[disabled], [inert], .pointer-events-none') && el.getClientRects().length > 0
            && getComputedStyle(el).visibility !== 'hidden';
    }

    function target(overlay) {
        var fields = overlay.querySelectorAll(fieldSelector);
        for (var i = 0; i < fields.length; i++) {
            var f = fields[i];
            if (f.matches('[data-autofocus]') && !f.matches('input, textarea, select')) {
                f = f.querySelector('input:not([type=hidden]), textarea, select') || f;
            }
            if (!usable(f) || f.readOnly) {
                continue;
            }
            if (f.type === 'radio' && !f.checked) {
                var checked = overlay.querySelector('input[type=radio][name="' + CSS.escape(f.name) + '"]:checked');
                if (checked && f.name && usable(checked)) {
                    return checked;
                }
            }
            return f;
        }
        var controls = overlay.querySelectorAll(controlSelector);
        for (var j = 0; j < controls.length; j++) {
            if (usable(controls[j])) {
                return controls[j];
            }
        }
        return null;
    }

    function focusInside(overlay) {
        var a = document.activeElement;
        return a && overlay.contains(a) && a !== overlay && a.matches(controlSelector) && !a.closest('.pointer-events-none');
    }

    function isOpen(overlay) {
        return overlay.isConnected && overlay.matches(overlaySelector);
    }

    // The opener itself, or the same control rendered anew (same tag and data-testid or aria-label).
    function resolve(opener) {
        if (!opener || opener.isConnected) {
            return opener;
        }
        var attrs = ['data-testid', 'aria-label'];
        for (var i = 0; i < attrs.length; i++) {
            var value = opener.getAttribute(attrs[i]);
            if (value) {
                return document.querySelector(opener.tagName + '[' + attrs[i] + '="' + CSS.escape(value) + '"]');
            }
        }
        return null;
    }

    function restore(opener, tries) {
        var a = document.activeElement;
        var lost = !a || a === document.body || !a.isConnected || (overlayOf(a) && !isOpen(overlayOf(a)));
        if (!lost || !opener) {
            return;
        }
        var el = resolve(opener);
        if (!el || el.disabled) {
            // The opener is often disabled, or rendered anew, while its action runs; wait for the next renders.
            if (tries < 120) {
                requestAnimationFrame(function () { restore(opener, tries + 1); });
            }
            return;
        }
        el.focus();
    }

    function check() {
        scheduled = false;
        open.forEach(function (state, overlay) {
            if (!isOpen(overlay)) {
                open.delete(overlay);
                restore(state.opener, 0);
            }
        });
        var overlays = document.querySelectorAll(overlaySelector);
        for (var i = 0; i < overlays.length; i++) {
            var overlay = overlays[i];
            var state = open.get(overlay);
            if (!state) {
                state = { opener: lastOutside, focused: false };
                open.set(overlay, state);
            }
            if (!state.focused) {
                if (focusInside(overlay)) {
                    state.focused = true;
                } else {
                    var t = target(overlay);
                    if (t) {
                        t.focus();
                        state.focused = document.activeElement === t;
                    }
                }
            }
        }
    }

    function schedule() {
        if (!scheduled) {
            scheduled = true;
            requestAnimationFrame(check);
        }
    }

    document.addEventListener('focusin', function (e) {
        if (!overlayOf(e.target)) {
            lastOutside = e.target;
        }
    }, true);

    document.addEventListener('keydown', function (e) {
        if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('.mud-dialog')) {
            return;
        }
        // A temporary drawer closes when its overlay (the scrim beside it) is clicked.
        var scrims = document.querySelectorAll('.mud-drawer-overlay-temporary.mud-drawer-overlay--open');
        if (scrims.length > 0) {
            e.preventDefault();
            scrims[scrims.length - 1].click();
        }
    });

    new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
})();
