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
