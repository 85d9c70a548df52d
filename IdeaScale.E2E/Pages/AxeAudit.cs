using System.Diagnostics;
using System.Globalization;
using System.Text;

using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;

using Microsoft.Playwright;

using Xunit.Abstractions;

namespace IdeaScale.E2E.Pages;

/// <summary>
/// Runs axe-core (Deque.AxeCore.Playwright) with the WCAG 2.0 and 2.1 level A and AA rules on the page as it stands,
/// in light and then in dark mode (the browser's <c>prefers-color-scheme</c>, which the portal follows), and checks
/// that the page has exactly one <c>h1</c> and one <c>main</c> landmark. Findings are collected, not thrown, so one run
/// lists every page's problems; <see cref="AssertClean"/> fails with all of them.
/// </summary>
public sealed class AxeAudit(int width, ITestOutputHelper output)
{
    private static readonly AxeRunOptions WcagAandAA = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        // Only the findings: axe's passes and inapplicable lists are large and unused.
        ResultTypes = [ResultType.Violations],
    };

    /// <summary>
    /// The WCAG A/AA rules whose outcome depends on colour; the second theme of a page only changes colours, so only
    /// these run again there (the structural rules already ran on the same DOM in the first theme).
    /// </summary>
    private static readonly AxeRunOptions ColourRules = new()
    {
        RunOnly = new RunOnlyOptions { Type = "rule", Values = ["color-contrast", "link-in-text-block"] },
        ResultTypes = [ResultType.Violations],
    };

    private readonly StringBuilder findings = new();
    private readonly List<string> audited = [];

    /// <summary>Every state audited, as "label (theme)".</summary>
    public IReadOnlyList<string> Audited => audited;

    /// <summary>
    /// Audits the page in its current colour scheme, then in the other one (the page is left in that one, so the next
    /// navigation starts there). An interactive page must show the circuit marker with the palette the browser asks for.
    /// </summary>
    public async Task CheckAsync(IPage page, string label, bool interactive = true)
    {
        var first = await page.EvaluateAsync<bool>("() => matchMedia('(prefers-color-scheme: dark)').matches") ? ColorScheme.Dark : ColorScheme.Light;
        await CheckInAsync(page, label, interactive, first, WcagAandAA);
        var second = first == ColorScheme.Dark ? ColorScheme.Light : ColorScheme.Dark;
        await page.EmulateMediaAsync(new() { ColorScheme = second });
        await CheckInAsync(page, label, interactive, second, ColourRules);
    }

    private async Task CheckInAsync(IPage page, string label, bool interactive, ColorScheme scheme, AxeRunOptions rules)
    {
        var started = Stopwatch.GetTimestamp();
        var theme = scheme == ColorScheme.Dark ? "dark" : "light";
        var where = $"{label} [{theme}, {width.ToString(CultureInfo.InvariantCulture)} px]";
        if (interactive)
        {
            // MudBlazor follows the system setting through the circuit: wait until the palette in force is the one asked for.
            await page.Locator($"#circuit-ready[data-theme={theme}]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        }

        await SettleAsync(page);
        var settled = Stopwatch.GetTimestamp();
        var result = await page.RunAxe(rules);
        var axeMs = Stopwatch.GetElapsedTime(settled).TotalMilliseconds;
        foreach (var violation in result.Violations)
        {
            findings.AppendLine(CultureInfo.InvariantCulture, $"{where}: {violation.Id} ({violation.Impact}): {violation.Help}");
            foreach (var node in violation.Nodes)
            {
                findings.AppendLine(CultureInfo.InvariantCulture, $"    at {node.Target}: {Shorten(node.Html)}");
                var why = string.Join("; ", node.Any.Concat(node.All).Concat(node.None).Select(check => check.Message));
                if (why.Length > 0)
                {
                    findings.AppendLine(CultureInfo.InvariantCulture, $"       {why}");
                }
            }
        }

        var headings = await page.Locator("h1").AllInnerTextsAsync();
        if (headings.Count != 1)
        {
            findings.AppendLine(CultureInfo.InvariantCulture, $"{where}: {headings.Count} h1 elements, expected exactly one: [{string.Join(" | ", headings)}]");
        }

        var mains = await page.Locator("main, [role=main]").CountAsync();
        if (mains != 1)
        {
            findings.AppendLine(CultureInfo.InvariantCulture, $"{where}: {mains} main landmarks, expected exactly one");
        }

        audited.Add($"{label} ({theme})");
        output.WriteLine($"{where}: audited in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms (axe {axeMs:F0} ms)");
    }

    /// <summary>
    /// Waits until loading indicators are gone and CSS transitions (MudBlazor animates colours on a theme change) have
    /// finished, so contrast is measured on the final colours.
    /// </summary>
    private static async Task SettleAsync(IPage page)
    {
        await page.WaitForFunctionAsync(
            """
            () => !document.querySelector('.mud-table-loading, .mud-progress-linear-indeterminate, .mud-skeleton')
                && document.getAnimations().every(a => a.playState !== 'running' || !isFinite(a.effect?.getComputedTiming().endTime ?? Infinity))
            """,
            null, new() { PollingInterval = 50 });
    }

    public void AssertClean()
    {
        Assert.NotEmpty(audited);
        Assert.True(findings.Length == 0,
            $"Accessibility findings in {audited.Count} audited states (axe-core WCAG 2.0/2.1 A and AA, one h1, one main):\n{findings}");
    }

    private static string Shorten(string html) => html.Length <= 200 ? html : html[..200] + "…";

    /// <summary>Opens an interactive portal page and waits for its circuit.</summary>
    public static async Task OpenAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        try
        {
            await LoginPage.WaitForCircuitAsync(page);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{path}: no interactive circuit (at {page.Url})", e);
        }
    }

    /// <summary>Opens a static (server-rendered) page.</summary>
    public static Task OpenStaticAsync(IPage page, string path) => page.GotoAsync(path, new() { WaitUntil = WaitUntilState.Load });
}
