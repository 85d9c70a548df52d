using AngleSharp.Dom;

using Bunit;

using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Workspaces;

using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using ScimPage = IdeaScale.Portal.Components.Pages.ManageWorkspace.Security.Authentication.SingleSignOn.Scim;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The SCIM page's three states, the token icons, recent sign-in, and the regenerate dialog.</summary>
public sealed class ScimPageTests : PortalComponentContext
{
    private IRenderedComponent<ScimPage> RenderScim(string slug) =>
        Render<ScimPage>(p => p.Add(s => s.Slug, slug));

    private static IElement Button<T>(IRenderedComponent<T> root, string name) where T : IComponent =>
        root.Find($"button[aria-label='{name}']");

    [Fact]
    public void Render_SsoInactive_ExplainsAndLinksToSsoPage()
    {
        SignInAs(DemoSeeder.AdminEmail("nosso"));

        var cut = RenderScim("nosso");

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=scim-state-sso-inactive]")));
        Assert.Contains("needs an active single sign-on setup", cut.Markup, StringComparison.Ordinal);
        Assert.Contains(cut.FindAll("a"), a => a.GetAttribute("href") == "/workspaces/nosso/manage/security/authentication/sso");
        Assert.Empty(cut.FindAll("button[aria-label='Copy SCIM token']"));
    }

    [Fact]
    public void Render_ScimDisabledWithAssignedCsm_NamesTheCsm()
    {
        SetScimEnabled("acme", enabled: false);
        SignInAs(DemoSeeder.AdminEmail("acme"));

        var cut = RenderScim("acme");

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=scim-state-disabled]")));
        var notice = cut.Find("[data-testid=scim-state-disabled]").TextContent;
        Assert.Contains("Customer Success Manager enables it", notice, StringComparison.Ordinal);
        Assert.Contains("Casey Success (CSM)", notice, StringComparison.Ordinal);
        Assert.Contains(DemoSeeder.CsmEmail, notice, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("button[aria-label='Regenerate SCIM token']"));
    }

    [Fact]
    public void Render_ScimDisabledWithoutCsm_SaysNoneIsAssigned()
    {
        SetScimEnabled("acme", enabled: false, removeCsm: true);
        SignInAs(DemoSeeder.AdminEmail("acme"));

        var cut = RenderScim("acme");

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=scim-state-disabled]")));
        var notice = cut.Find("[data-testid=scim-state-disabled]").TextContent;
        Assert.Contains("No Customer Success Manager is assigned", notice, StringComparison.Ordinal);
        Assert.DoesNotContain(DemoSeeder.CsmEmail, notice, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Enabled_ShowsBaseUrlMaskedTokenIconsQrAndSetupSteps()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));

        var cut = RenderScim("ides");

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=scim-base-url]")));
        Assert.Equal("http://ides.localhost:5080/scim/v2", cut.Find("[data-testid=scim-base-url]").TextContent.Trim());
        foreach (var name in new[] { "Copy SCIM base URL", "Copy SCIM token", "Show SCIM token", "Regenerate SCIM token" })
        {
            Assert.NotNull(Button(cut, name));
        }

        Assert.DoesNotContain(PortalFactory.IdesToken, cut.Markup, StringComparison.Ordinal);
        Assert.StartsWith(ScimCredentials.Prefix + "•", cut.Find("[data-testid=scim-token]").TextContent.Trim(), StringComparison.Ordinal);
        Assert.StartsWith("data:image/png;base64,", cut.Find("img[data-testid=qr-code]").GetAttribute("src"), StringComparison.Ordinal);
        Assert.Contains("Never contacted", cut.Find("[data-testid=scim-health]").TextContent, StringComparison.Ordinal);
        Assert.Contains("seed", cut.Find("[data-testid=token-created]").TextContent, StringComparison.Ordinal);
        Assert.Contains("about 40 minutes", cut.Find("[data-testid=sync-timing]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Microsoft Entra ID", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("Okta", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("<code>http://ides.localhost:5080/scim/v2</code>", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowToken_RecentSignIn_RevealsTokenAndAudits()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Show SCIM token"));

        InTurn(() => Button(cut, "Show SCIM token").Click());

        cut.WaitForAssertion(() => Assert.Equal(PortalFactory.IdesToken, cut.Find("[data-testid=scim-token]").TextContent.Trim()));
        Assert.NotNull(Button(cut, "Hide SCIM token"));
        using var db = Db();
        Assert.True(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.TokenRevealed && e.Actor == DemoSeeder.AdminEmail("ides")));
    }

    [Fact]
    public void CopyToken_RecentSignIn_WritesTokenToClipboard()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Copy SCIM token"));

        InTurn(() => Button(cut, "Copy SCIM token").Click());

        cut.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "portal.copyText"));
        Assert.Equal(PortalFactory.IdesToken, JSInterop.Invocations.Single(i => i.Identifier == "portal.copyText").Arguments[0]);
        Providers.WaitForAssertion(() => Assert.Contains("SCIM token copied.", Providers.Markup, StringComparison.Ordinal));
        using var db = Db();
        Assert.True(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.TokenCopied));
    }

    [Fact]
    public void ShowToken_StaleSignIn_AsksForThePasswordInADialogThenReveals()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"), signedInAgo: TimeSpan.FromHours(2));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Show SCIM token"));

        InTurn(() => Button(cut, "Show SCIM token").Click());

        // A wrong password: refused on the server, counted towards lockout, nothing revealed or audited.
        Providers.WaitForAssertion(() => Assert.Contains("Confirm it's you", Providers.Markup, StringComparison.Ordinal));
        Assert.Contains(DemoSeeder.AdminEmail("ides"), Providers.Markup, StringComparison.Ordinal);
        InTurn(() => Providers.Find("input[type=password]").Input("not-the-password"));
        InTurn(() => Providers.Find("form#reauthentication-form").Submit());
        Providers.WaitForAssertion(() => Assert.Contains("That password is not correct.", Providers.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain(PortalFactory.IdesToken, cut.Markup, StringComparison.Ordinal);
        using (var db = Db())
        {
            Assert.False(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.TokenRevealed));
            Assert.Equal(1, db.Users.Single(u => u.Email == DemoSeeder.AdminEmail("ides")).AccessFailedCount);
        }

        // The right password completes the interrupted action: the token is shown, and the reveal audited.
        InTurn(() => Providers.Find("input[type=password]").Input(PortalFactory.AdminPassword));
        InTurn(() => Providers.Find("form#reauthentication-form").Submit());

        cut.WaitForAssertion(() => Assert.Equal(PortalFactory.IdesToken, cut.Find("[data-testid=scim-token]").TextContent.Trim()));
        Assert.DoesNotContain("Confirm it's you", Providers.Markup, StringComparison.Ordinal);
        using var after = Db();
        Assert.True(after.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.TokenRevealed && e.Actor == DemoSeeder.AdminEmail("ides")));
        Assert.Equal(0, after.Users.Single(u => u.Email == DemoSeeder.AdminEmail("ides")).AccessFailedCount);
    }

    [Fact]
    public async Task ShowToken_StaleSignInWithTwoFactor_AsksForTheCodeAndRefusesAWrongOne()
    {
        // Identity's CheckPasswordSignInAsync reads the "remember this browser" cookie for such an account: in a
        // circuit there is no live HttpContext for that, so the dialog must check the password without it.
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PortalUser>>();
            var admin = await users.FindByEmailAsync(DemoSeeder.AdminEmail("ides")) ?? throw new InvalidOperationException("No demo admin.");
            await users.ResetAuthenticatorKeyAsync(admin);
            await users.SetTwoFactorEnabledAsync(admin, true);
        }

        SignInAs(DemoSeeder.AdminEmail("ides"), signedInAgo: TimeSpan.FromHours(2));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Show SCIM token"));
        InTurn(() => Button(cut, "Show SCIM token").Click());
        Providers.WaitForAssertion(() => Assert.Contains("a code from your authenticator app", Providers.Markup, StringComparison.Ordinal));

        InTurn(() => Providers.Find("input[type=password]").Input(PortalFactory.AdminPassword));
        InTurn(() => Providers.Find("input[autocomplete=one-time-code]").Input("000000"));
        InTurn(() => Providers.Find("form#reauthentication-form").Submit());

        Providers.WaitForAssertion(() => Assert.Contains("That code is not correct", Providers.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain(PortalFactory.IdesToken, cut.Markup, StringComparison.Ordinal);
        using var db = Db();
        Assert.False(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.TokenRevealed));
        Assert.Equal(1, db.Users.Single(u => u.Email == DemoSeeder.AdminEmail("ides")).AccessFailedCount);
    }

    [Fact]
    public void ShowToken_StaleSignInAndDialogCancelled_RevealsNothing()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"), signedInAgo: TimeSpan.FromHours(2));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Show SCIM token"));

        InTurn(() => Button(cut, "Show SCIM token").Click());
        Providers.WaitForAssertion(() => Assert.Contains("Confirm it's you", Providers.Markup, StringComparison.Ordinal));
        InTurn(() => Providers.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click());

        Providers.WaitForAssertion(() => Assert.DoesNotContain("Confirm it's you", Providers.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain(PortalFactory.IdesToken, cut.Markup, StringComparison.Ordinal);
        Assert.NotNull(Button(cut, "Show SCIM token"));
        using var db = Db();
        Assert.False(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.TokenRevealed));
    }

    /// <summary>
    /// Escape in the password field cancels through the dialog's own handler: here no MudBlazor key interceptor runs
    /// (no JavaScript), as in a browser in the moment before it is attached, when an Escape used to be lost.
    /// </summary>
    [Fact]
    public void ShowToken_StaleSignInAndEscapeInThePasswordField_ClosesTheDialogAndRevealsNothing()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"), signedInAgo: TimeSpan.FromHours(2));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Show SCIM token"));

        InTurn(() => Button(cut, "Show SCIM token").Click());
        Providers.WaitForAssertion(() => Assert.Contains("Confirm it's you", Providers.Markup, StringComparison.Ordinal));
        InTurn(() => Providers.Find("#reauthentication-form input[type=password]").KeyDown(new KeyboardEventArgs { Key = "Escape" }));

        Providers.WaitForAssertion(() => Assert.DoesNotContain("Confirm it's you", Providers.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain(PortalFactory.IdesToken, cut.Markup, StringComparison.Ordinal);
        using var db = Db();
        Assert.False(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.TokenRevealed));
    }

    [Fact]
    public async Task Regenerate_WithOneHourGrace_ShowsNewTokenAndOldTokenExpiry()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Regenerate SCIM token"));

        InTurn(() => Button(cut, "Regenerate SCIM token").Click());

        Providers.WaitForAssertion(() => Assert.Contains("Provisioning stops until your identity provider gets the new token", Providers.Markup, StringComparison.Ordinal));
        Assert.Contains("No grace period", Providers.Markup, StringComparison.Ordinal);
        Assert.Contains("24 hours", Providers.Markup, StringComparison.Ordinal);
        var radios = Providers.FindAll("input[type=radio]");
        Assert.Equal(3, radios.Count);
        InTurn(() => Providers.FindAll("input[type=radio]")[1].Click());
        InTurn(() => Providers.FindAll("button").Single(b => b.TextContent.Trim() == "Regenerate").Click());

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=new-token]")));
        var newToken = cut.Find("[data-testid=new-token]").TextContent.Trim();
        Assert.StartsWith(ScimCredentials.Prefix, newToken, StringComparison.Ordinal);
        Assert.NotEqual(PortalFactory.IdesToken, newToken);
        Assert.NotNull(Button(cut, "Copy new SCIM token"));
        Assert.Contains("previous token keeps working until", cut.Find("[data-testid=grace-notice]").TextContent, StringComparison.Ordinal);

        using var scope = App.Services.CreateScope();
        var credentials = scope.ServiceProvider.GetRequiredService<ScimCredentials>();
        Assert.NotNull(await credentials.FindAsync(newToken));
        Assert.NotNull(await credentials.FindAsync(PortalFactory.IdesToken));
    }

    [Fact]
    public async Task Regenerate_AfterAnotherTabRegenerated_SaysWhoWonAndChangesNothing()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Regenerate SCIM token"));

        // Another tab (or admin) regenerates the token this page shows, with a grace period the IdP relies on.
        var admin = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, Db().Users.Single(u => u.Email == DemoSeeder.AdminEmail("ides")).Id)], "Test"));
        var shown = Db().ScimCredentials.Single(c => c.Settings!.Workspace!.Slug == "ides").Id;
        var winner = await ActivatorUtilities.CreateInstance<ScimAdministration>(App.Services)
            .RegenerateTokenAsync(admin, "ides", TokenGracePeriod.OneHour, shown);

        InTurn(() => Button(cut, "Regenerate SCIM token").Click());
        Providers.WaitForAssertion(() => Assert.NotEmpty(Providers.FindAll("[data-testid=replaced-token]")));
        InTurn(() => Providers.FindAll("input[type=radio]")[0].Click());
        InTurn(() => Providers.FindAll("button").Single(b => b.TextContent.Trim() == "Regenerate").Click());

        cut.WaitForAssertion(() => Assert.Contains("regenerated the SCIM token", cut.Find("[data-testid=regenerate-conflict]").TextContent, StringComparison.Ordinal));
        Assert.Contains(DemoSeeder.AdminEmail("ides"), cut.Find("[data-testid=regenerate-conflict]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=new-token]"));
        Assert.NotEmpty(cut.FindAll("[data-testid=grace-notice]"));

        // Nothing of the losing attempt was applied: the winner's token is current, the IdP's is still in its grace.
        using var scope = App.Services.CreateScope();
        var credentials = scope.ServiceProvider.GetRequiredService<ScimCredentials>();
        Assert.NotNull(await credentials.FindAsync(winner.Token));
        Assert.NotNull(await credentials.FindAsync(PortalFactory.IdesToken));
        using var db = Db();
        Assert.Equal(2, db.ScimCredentials.Count(c => c.Settings!.Workspace!.Slug == "ides"));
    }

    [Fact]
    public void Regenerate_Cancelled_KeepsTheToken()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderScim("ides");
        cut.WaitForAssertion(() => Button(cut, "Regenerate SCIM token"));

        InTurn(() => Button(cut, "Regenerate SCIM token").Click());
        Providers.WaitForAssertion(() => Assert.Contains("Regenerate the SCIM token?", Providers.Markup, StringComparison.Ordinal));
        InTurn(() => Providers.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click());

        Providers.WaitForAssertion(() => Assert.DoesNotContain("Regenerate the SCIM token?", Providers.Markup, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=new-token]"));
        using var db = Db();
        Assert.Equal(1, db.ScimCredentials.Count(c => c.Settings!.Workspace!.Slug == "ides"));
    }

    private void SetScimEnabled(string slug, bool enabled, bool removeCsm = false)
    {
        using var db = Db();
        var ws = db.Workspaces.Include(w => w.Scim).Single(w => w.Slug == slug);
        ws.Scim!.Enabled = enabled;
        if (removeCsm)
        {
            ws.CustomerSuccessManagerId = null;
        }

        db.SaveChanges();
    }
}
