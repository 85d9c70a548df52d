using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;
using IdeaScale.Portal.Security;

using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

using Xunit.Abstractions;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// The accessibility sweep (issue 15, part 5): every page a visitor, a workspace admin, a customer-success manager and
/// lead, and an account with two-factor sign-in can reach (the @page routes under Components/, found through the nav
/// menu, with the demo's workspaces), plus the panels and dialogs those pages open, in light and dark mode, at desktop
/// (1280 px) and phone (390 px) width. Each state must have no axe-core violation of a WCAG 2.0/2.1 A or AA rule,
/// exactly one <c>h1</c> and one <c>main</c> landmark. One browser (the shared host's), one page per account and
/// width; each page is loaded once per width and audited in both themes.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class AccessibilityJourney(PortalAppHost host, ITestOutputHelper output)
{
    /// <summary>Static pages a visitor reaches from the sign-in page and its links.</summary>
    private static readonly string[] AnonymousStaticPages =
    [
        "/Account/Login", "/Account/ForgotPassword", "/Account/ForgotPasswordConfirmation", "/Account/ResendEmailConfirmation",
        "/Account/ResetPasswordConfirmation", "/Account/InvalidPasswordReset", "/Account/InvalidUser", "/Account/Lockout",
        "/Account/AccessDenied",
    ];

    /// <summary>The account pages of a signed-in user without two-factor sign-in (ManageNavMenu).</summary>
    private static readonly string[] AccountPages =
    [
        "/Account/Manage", "/Account/Manage/Email", "/Account/Manage/ChangePassword", "/Account/Manage/TwoFactorAuthentication",
        "/Account/Manage/EnableAuthenticator", "/Account/Manage/ResetAuthenticator", "/Account/Manage/Passkeys",
        "/Account/Manage/ExternalLogins", "/Account/Manage/PersonalData", "/Account/Manage/DeletePersonalData",
    ];

    /// <summary>The pages only an account with two-factor sign-in reaches.</summary>
    private static readonly string[] TwoFactorAccountPages =
    [
        "/Account/Manage/TwoFactorAuthentication", "/Account/Manage/Disable2fa", "/Account/Manage/GenerateRecoveryCodes",
    ];

    // Markup and colours do not depend on the database, so each width runs in one pass of test.sh: desktop in the
    // SQLite pass, phone in the PostgreSQL pass (the sweep is the longest test; split, the two passes take about as long).
    [Trait("Provider", "Sqlite")]
    [Fact]
    public Task EveryPage_Desktop_LightAndDark_NoWcagViolationOneH1OneMain() => SweepAsync(1280);

    [Trait("Pass", "PostgreSQL")]
    [Fact]
    public Task EveryPage_Phone_LightAndDark_NoWcagViolationOneH1OneMain() => SweepAsync(390);

    private async Task SweepAsync(int width)
    {
        var audit = new AxeAudit(width, output);

        // A visitor: the sign-in family of static pages.
        var visitor = await NewPageAsync(width);
        foreach (var path in AnonymousStaticPages)
        {
            await AxeAudit.OpenStaticAsync(visitor, path);
            await audit.CheckAsync(visitor, "visitor " + path, interactive: false);
        }

        await visitor.Context.CloseAsync();

        // The admin of ides (SAML SSO, SCIM on, demo directory and log).
        var admin = await NewPageAsync(width);
        await new LoginPage(admin).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await AuditAdminPagesAsync(admin, audit, "ides", full: true);
        // Another workspace's page sends the admin to the access-denied page.
        await admin.GotoAsync("/workspaces/acme/manage/members");
        await admin.WaitForURLAsync(url => url.Contains("/Account/AccessDenied", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await audit.CheckAsync(admin, "admin of ides on acme's members (access denied)", interactive: false);
        foreach (var (path, label) in new[]
        {
            ("/no-such-page", "admin /no-such-page (404)"),
            ("/Error", "admin /Error"),
        })
        {
            await AxeAudit.OpenAsync(admin, path);
            await audit.CheckAsync(admin, label);
        }

        foreach (var path in AccountPages)
        {
            await AxeAudit.OpenStaticAsync(admin, path);
            await audit.CheckAsync(admin, "admin " + path, interactive: false);
        }

        await admin.Context.CloseAsync();

        // The admins of acme (OIDC SSO) and nosso (no SSO, SCIM off): the other states of the SSO and SCIM pages.
        foreach (var slug in new[] { "acme", "nosso" })
        {
            var other = await NewPageAsync(width);
            await new LoginPage(other).SignInAsync($"admin@{slug}.example", PortalAppHost.AdminPassword);
            await AuditAdminPagesAsync(other, audit, slug, full: false);
            await other.Context.CloseAsync();
        }

        // The customer-success manager: dashboard, console (with the disable dialog), an assigned workspace's log.
        var csm = await NewPageAsync(width);
        await new LoginPage(csm).SignInAsync("csm@ideascale.example", PortalAppHost.CsmPassword);
        await AxeAudit.OpenAsync(csm, "/");
        await audit.CheckAsync(csm, "CSM /");
        var console = new CsWorkspacesPage(csm);
        await console.GotoAsync();
        await audit.CheckAsync(csm, "CSM /customer-success/workspaces");
        await console.ScimSwitch("Ideas Demo").ClickAsync();
        var dialog = csm.GetByRole(AriaRole.Dialog);
        await dialog.GetByText("Disable SCIM for Ideas Demo?").WaitForAsync();
        await audit.CheckAsync(csm, "CSM console, disable-SCIM dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await AxeAudit.OpenAsync(csm, "/workspaces/ides/manage/provisioning-log");
        await audit.CheckAsync(csm, "CSM ides provisioning log (read-only)");
        await csm.Context.CloseAsync();

        // The customer-success lead's console adds the CSM assignment column.
        var lead = await NewPageAsync(width);
        await new LoginPage(lead).SignInAsync("lead@ideascale.example", PortalAppHost.LeadPassword);
        var leadConsole = new CsWorkspacesPage(lead);
        await leadConsole.GotoAsync();
        await audit.CheckAsync(lead, "CS lead /customer-success/workspaces");
        await lead.Context.CloseAsync();

        // An account with two-factor sign-in: the code and recovery-code steps, then its own account pages.
        var recoveryCode = await TwoFactorAccountAsync(width);
        var twoFactor = await NewPageAsync(width);
        await twoFactor.GotoAsync("/Account/Login");
        await twoFactor.GetByLabel("Email").FillAsync(TwoFactorEmail(width));
        await twoFactor.GetByLabel("Password").FillAsync(TwoFactorPassword);
        await twoFactor.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await twoFactor.WaitForURLAsync(url => url.Contains("/Account/LoginWith2fa", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await audit.CheckAsync(twoFactor, "2FA account /Account/LoginWith2fa", interactive: false);
        await AxeAudit.OpenStaticAsync(twoFactor, "/Account/LoginWithRecoveryCode");
        await audit.CheckAsync(twoFactor, "2FA account /Account/LoginWithRecoveryCode", interactive: false);
        await twoFactor.GetByLabel("Recovery Code").FillAsync(recoveryCode);
        await twoFactor.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await twoFactor.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await LoginPage.WaitForCircuitAsync(twoFactor);
        await audit.CheckAsync(twoFactor, "2FA account / (no workspace)");
        foreach (var path in TwoFactorAccountPages)
        {
            await AxeAudit.OpenStaticAsync(twoFactor, path);
            await audit.CheckAsync(twoFactor, "2FA account " + path, interactive: false);
        }

        await twoFactor.Context.CloseAsync();
        audit.AssertClean();
    }

    /// <summary>The dashboard and every Manage Workspace page of the nav menu; with <paramref name="full"/> also their panels.</summary>
    private static async Task AuditAdminPagesAsync(IPage page, AxeAudit audit, string slug, bool full)
    {
        var who = $"admin of {slug}";
        await LoginPage.WaitForCircuitAsync(page);
        if (page.ViewportSize is { Width: < 600 })
        {
            // Phone: the menu is a drawer over the page; audit it open once.
            await page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" }).ClickAsync();
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" }).WaitForAsync();
            await audit.CheckAsync(page, who + " / (menu open)");
            await page.Keyboard.PressAsync("Escape");
        }
        else
        {
            await audit.CheckAsync(page, who + " /");
        }

        var manage = $"/workspaces/{slug}/manage";
        foreach (var path in new[] { manage + "/security/authentication/sso", manage + "/security/authentication/sso/scim" })
        {
            await AxeAudit.OpenAsync(page, path);
            await audit.CheckAsync(page, $"{who} {path}");
        }

        if (!full)
        {
            return;
        }

        // The SCIM page is still open: its regenerate dialog (cancelled, the token stays).
        var regenerate = await new ScimSettingsPage(page).OpenRegenerateDialogAsync();
        await audit.CheckAsync(page, $"{who} SCIM page, regenerate dialog");
        await regenerate.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Assertions.Expect(regenerate).ToHaveCountAsync(0);

        await AxeAudit.OpenAsync(page, manage + "/members");
        await audit.CheckAsync(page, $"{who} {manage}/members");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show details of grace.hopper@ides.example" }).ClickAsync();
        await page.GetByTestId("member-detail").WaitForAsync();
        await audit.CheckAsync(page, $"{who} {manage}/members, member detail panel");

        await AxeAudit.OpenAsync(page, manage + "/groups");
        await audit.CheckAsync(page, $"{who} {manage}/groups");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show members of Engineering" }).ClickAsync();
        await page.GetByTestId("group-members-table").WaitForAsync();
        await audit.CheckAsync(page, $"{who} {manage}/groups, group members");

        await AxeAudit.OpenAsync(page, manage + "/provisioning-log");
        await audit.CheckAsync(page, $"{who} {manage}/provisioning-log");
        await page.GetByTestId("log-table").GetByRole(AriaRole.Button).First.ClickAsync();
        await page.GetByTestId("log-detail").WaitForAsync();
        await audit.CheckAsync(page, $"{who} {manage}/provisioning-log, event detail panel");
    }

    private const string TwoFactorPassword = "E2e-Axe-TwoFactor-4!";

    private static string TwoFactorEmail(int width) => $"axe-sweep-{width}@ideascale.example";

    /// <summary>An account of this sweep's own (one per width) with an authenticator enrolled; returns a fresh recovery code.</summary>
    private async Task<string> TwoFactorAccountAsync(int width)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser { UserName = TwoFactorEmail(width), Email = TwoFactorEmail(width), EmailConfirmed = true, DisplayName = "Axe sweep" };
        Assert.True((await users.CreateAsync(user, TwoFactorPassword)).Succeeded);
        Assert.True((await users.ResetAuthenticatorKeyAsync(user)).Succeeded);
        Assert.True((await users.SetTwoFactorEnabledAsync(user, true)).Succeeded);
        var codes = await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 2) ?? throw new InvalidOperationException("No recovery codes.");
        return codes.First();
    }

    private async Task<IPage> NewPageAsync(int width)
    {
        var context = await host.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = host.BaseUrl,
            ColorScheme = ColorScheme.Light,
            ViewportSize = new ViewportSize { Width = width, Height = width < 600 ? 844 : 900 },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }
}
