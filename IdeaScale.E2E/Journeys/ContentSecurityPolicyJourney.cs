using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// Walks the portal's pages in Chromium under the Content-Security-Policy the app sends (issue 11, item 5): every page
/// renders, the Blazor circuit connects and handles clicks, MudBlazor draws, and the browser reports no violation.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class ContentSecurityPolicyJourney(PortalAppHost host)
{
    private CspViolations violations = default!;

    private async Task<IResponse> OpenAsync(IPage page, string path, bool interactive = true)
    {
        var response = await page.GotoAsync(path) ?? throw new InvalidOperationException($"No response for {path}");
        var csp = await response.HeaderValueAsync("content-security-policy") ?? "";
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("'nonce-", csp, StringComparison.Ordinal);
        if (interactive)
        {
            try
            {
                await LoginPage.WaitForCircuitAsync(page);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"No circuit on {path}. Console:\n{violations.Console}", e);
            }
        }

        return response;
    }

    /// <summary>
    /// Asserts the page blocks an inline script (so the policy is in force and the recorder hears it), which also
    /// flushes any violation reported before it; then that it was the only one.
    /// </summary>
    private static async Task AssertOnlyTheProbeWasBlockedAsync(IPage page, CspViolations violations)
    {
        await page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__cspProbe = 1'; document.head.appendChild(s); }");
        await Assertions.Expect(page.Locator("html")).ToBeVisibleAsync();
        for (var i = 0; i < 50 && !violations.All.Any(v => v.StartsWith("script-src", StringComparison.Ordinal)); i++)
        {
            await page.WaitForTimeoutAsync(100);
        }

        Assert.Null(await page.EvaluateAsync<int?>("() => window.__cspProbe ?? null"));
        var reported = violations.All.Where(v => !v.StartsWith("console:", StringComparison.Ordinal)).ToList();
        Assert.True(reported.Count == 1 && reported[0].StartsWith("script-src-elem blocked inline", StringComparison.Ordinal),
            "Expected only the probe's violation, got:\n" + string.Join('\n', violations.All));
        violations.Clear();
    }

    [Fact]
    public async Task AdminAndCsm_WalkThePortal_NoCspViolation()
    {
        var page = await host.NewPageAsync();
        violations = await CspViolations.AttachAsync(page);

        await OpenAsync(page, "/Account/Login", interactive: false);
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await LoginPage.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("workspace-card")).ToHaveCountAsync(1);

        var scim = new ScimSettingsPage(page);
        await OpenAsync(page, ScimSettingsPage.PathFor("ides"));
        Assert.StartsWith("iscim_", await scim.ShowTokenAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.GetByTestId("qr-code").First).ToBeVisibleAsync();

        await OpenAsync(page, "/workspaces/ides/manage/security/authentication/sso");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Single Sign On" }).WaitForAsync();

        await OpenAsync(page, "/workspaces/ides/manage/members");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show details of grace.hopper@ides.example" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("member-detail")).ToBeVisibleAsync();

        await OpenAsync(page, "/workspaces/ides/manage/groups");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show members of Engineering" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("group-members-table")).ToBeVisibleAsync();

        await OpenAsync(page, "/workspaces/ides/manage/provisioning-log");
        await Assertions.Expect(page.GetByTestId("log-table")).ToBeVisibleAsync();

        await OpenAsync(page, "/no-such-page");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" }).WaitForAsync();

        await OpenAsync(page, "/Account/Manage", interactive: false);
        await OpenAsync(page, "/Account/Manage/EnableAuthenticator", interactive: false);
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "QR code for your authenticator app" })).ToBeVisibleAsync();
        await OpenAsync(page, "/Account/Manage/ChangePassword", interactive: false);
        await AssertOnlyTheProbeWasBlockedAsync(page, violations);

        await OpenAsync(page, "/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);

        await new LoginPage(page).SignInAsync("csm@ideascale.example", PortalAppHost.CsmPassword);
        var console = new CsWorkspacesPage(page);
        await console.GotoAsync();
        await Assertions.Expect(console.ScimSwitch("Ideas Demo")).ToBeVisibleAsync();
        await AssertOnlyTheProbeWasBlockedAsync(page, violations);
        await PortalAppHost.ScreenshotAsync(page, "csp-cs-console");
        await page.Context.CloseAsync();
    }
}
