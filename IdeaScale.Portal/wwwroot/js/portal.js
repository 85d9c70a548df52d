// Small browser helpers for the portal. Clipboard writes go through navigator.clipboard.
window.portal = {
    copyText: async function (text) {
        await navigator.clipboard.writeText(text);
        return true;
    }
};
