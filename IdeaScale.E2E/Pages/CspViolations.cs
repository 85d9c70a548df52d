using System.Collections.Concurrent;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Pages;

/// <summary>
/// Records every Content-Security-Policy violation a page reports: the DOM's <c>securitypolicyviolation</c> events
/// (through a binding Playwright installs, which the page's policy does not govern) and Chromium's console errors
/// ("Refused to … because it violates the following Content Security Policy directive …").
/// </summary>
public sealed class CspViolations
{
    private const string Binding = "__reportCspViolation";
    private readonly ConcurrentQueue<string> violations = new();

    private readonly ConcurrentQueue<string> console = new();

    public IReadOnlyCollection<string> All => violations;

    /// <summary>Every console message of the page, for the failure message of a test that uses this recorder.</summary>
    public string Console => string.Join('\n', console);

    public static async Task<CspViolations> AttachAsync(IPage page)
    {
        var recorder = new CspViolations();
        await page.ExposeFunctionAsync<string>(Binding, recorder.violations.Enqueue);
        await page.AddInitScriptAsync(
            "document.addEventListener('securitypolicyviolation', e => window." + Binding + "("
            + "e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' in ' + e.documentURI + ' line ' + e.lineNumber), true);");
        page.Console += (_, message) =>
        {
            recorder.console.Enqueue($"{message.Type}: {message.Text}");
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                recorder.violations.Enqueue("console: " + message.Text);
            }
        };
        return recorder;
    }

    public void Clear() => violations.Clear();
}
