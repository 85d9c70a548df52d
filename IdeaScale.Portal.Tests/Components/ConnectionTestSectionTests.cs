using Bunit;

using IdeaScale.Portal.Tests.Infrastructure;

using Section = IdeaScale.Portal.Components.Pages.ManageWorkspace.Security.Authentication.SingleSignOn.ConnectionTestSection;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>
/// The SCIM page's "Test connection" with the OAuth client secret field, rendered against the real app served on
/// loopback (the test dials it): the field is offered only when the workspace has an OAuth client, does not let the
/// browser fill it in, and is cleared after the run.
/// </summary>
public sealed class ConnectionTestSectionTests() : PortalComponentContext(null, kestrel: true)
{
    private IRenderedComponent<Section> RenderSection(string slug) => Render<Section>(p => p.Add(s => s.Slug, slug).Add(s => s.CanRun, true));

    [Fact]
    public void With_an_OAuth_client_the_secret_entered_is_tested_then_cleared()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection("ides");
        cut.WaitForAssertion(() => Assert.Contains("Client secret your identity provider holds", cut.Find("[data-testid=connection-test-oauth]").TextContent, StringComparison.Ordinal));
        var input = cut.Find("[data-testid=connection-test-oauth] input");
        Assert.Equal("password", input.GetAttribute("type"));
        Assert.Equal("new-password", input.GetAttribute("autocomplete"));

        InTurn(() => cut.Find("[data-testid=connection-test-oauth] input").Input(PortalFactory.IdesOAuthSecret));
        InTurn(() => cut.FindAll("button").First(b => b.TextContent.Contains("Test connection", StringComparison.Ordinal)).Click());

        cut.WaitForAssertion(() => Assert.Contains("will pass", cut.Find("[data-testid=connection-test-entra-oauth]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.Equal("true", cut.Find("[data-testid=connection-test-result]").GetAttribute("data-passed"));
        Assert.Contains("OAuth client credentials connection will pass", cut.Find("[data-testid=connection-test-oauth-result]").TextContent, StringComparison.Ordinal);
        Assert.Equal(9, cut.FindAll("[data-testid=connection-probe]").Count);
        Assert.True(string.IsNullOrEmpty(cut.Find("[data-testid=connection-test-oauth] input").GetAttribute("value")));
        Assert.DoesNotContain(PortalFactory.IdesOAuthSecret, cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_secret_the_report_says_how_to_include_the_token_exchange()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection("ides");
        cut.WaitForAssertion(() => cut.Find("[data-testid=connection-test-oauth]"));

        InTurn(() => cut.FindAll("button").First(b => b.TextContent.Contains("Test connection", StringComparison.Ordinal)).Click());

        cut.WaitForAssertion(() => Assert.Contains("enter the client secret", cut.Find("[data-testid=connection-test-oauth-result]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.Empty(cut.FindAll("[data-testid=connection-test-entra-oauth]"));
        Assert.Equal(6, cut.FindAll("[data-testid=connection-probe]").Count);
    }

    [Fact]
    public void Without_an_OAuth_client_there_is_no_secret_field()
    {
        SignInAs(DemoSeeder.AdminEmail("acme"));
        var cut = RenderSection("acme");
        cut.WaitForAssertion(() => Assert.Contains("Test connection", cut.Markup, StringComparison.Ordinal));

        InTurn(() => cut.FindAll("button").First(b => b.TextContent.Contains("Test connection", StringComparison.Ordinal)).Click());

        cut.WaitForAssertion(() => cut.Find("[data-testid=connection-test-result]"), TimeSpan.FromSeconds(60));
        Assert.Empty(cut.FindAll("[data-testid=connection-test-oauth]"));
        Assert.Empty(cut.FindAll("[data-testid=connection-test-oauth-result]"));
    }
}
