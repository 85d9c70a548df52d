using Bunit;

using SsoPage = IdeaScale.Portal.Components.Pages.ManageWorkspace.Security.Authentication.SingleSignOn.Sso;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The Single Sign On page: IdP values with copy icons, validation messages, current settings.</summary>
public sealed class SsoPageTests : PortalComponentContext
{
    [Fact]
    public void Render_NotSetUp_ShowsSpValuesWithCopyIcons()
    {
        SignInAs(DemoSeeder.AdminEmail("nosso"));

        var cut = Render<SsoPage>(p => p.Add(s => s.Slug, "nosso"));

        cut.WaitForAssertion(() => Assert.Contains("Not set up", cut.Find("[data-testid=sso-status]").TextContent, StringComparison.Ordinal));
        Assert.NotNull(cut.Find("button[aria-label='Copy SP entity ID']"));
        Assert.NotNull(cut.Find("button[aria-label='Copy ACS URL']"));
        Assert.Contains(cut.FindAll("input"), i => i.GetAttribute("value") == "http://nosso.localhost:5080/sso/saml2/acs");
    }

    [Fact]
    public void Save_EmptySamlForm_ShowsAMessagePerField()
    {
        SignInAs(DemoSeeder.AdminEmail("nosso"));
        var cut = Render<SsoPage>(p => p.Add(s => s.Slug, "nosso"));
        cut.WaitForAssertion(() => cut.Find("[data-testid=sso-status]"));

        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Save settings").Click();

        cut.WaitForAssertion(() => Assert.Contains("Enter the identity provider's entity id", cut.Markup, StringComparison.Ordinal));
        Assert.Contains("Enter the sign-on URL.", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("Upload or paste the identity provider's X.509 signing certificate.", cut.Markup, StringComparison.Ordinal);
        using var db = Db();
        Assert.False(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.SsoUpdated));
    }

    [Fact]
    public void Render_ActiveSaml_ShowsCertificateExpiryAndDeactivate()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));

        var cut = Render<SsoPage>(p => p.Add(s => s.Slug, "ides"));

        cut.WaitForAssertion(() => Assert.Contains("SAML 2.0 active", cut.Find("[data-testid=sso-status]").TextContent, StringComparison.Ordinal));
        Assert.Contains("CN=ides demo IdP", cut.Find("[data-testid=certificate-info]").TextContent, StringComparison.Ordinal);
        Assert.Contains("expires", cut.Find("[data-testid=certificate-info]").TextContent, StringComparison.Ordinal);
        Assert.Contains(cut.FindAll("button"), b => b.TextContent.Trim() == "Deactivate SSO");
    }
}
