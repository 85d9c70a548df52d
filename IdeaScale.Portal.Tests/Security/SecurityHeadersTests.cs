using System.Net;
using System.Text.RegularExpressions;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim;

namespace IdeaScale.Portal.Tests.Security;

/// <summary>The security headers on every kind of portal response, and nosniff on SCIM responses (issue 11, item 5).</summary>
public sealed partial class SecurityHeadersTests
{
    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(", ", content) : "";

    private static void AssertPageHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
        Assert.Equal("SAMEORIGIN", Header(response, "X-Frame-Options"));
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        var directives = csp.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d);
        Assert.Equal("default-src 'self'", directives["default-src"]);
        Assert.Equal("frame-ancestors 'self'", directives["frame-ancestors"]);
        Assert.Equal("connect-src 'self'", directives["connect-src"]);
        Assert.Equal("object-src 'none'", directives["object-src"]);
        Assert.DoesNotContain("unsafe-inline", directives["script-src"], StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", directives["script-src"], StringComparison.Ordinal);
    }

    /// <summary>Every inline script of the page carries the nonce the policy names, and nothing else is inline.</summary>
    private static void AssertInlineScriptsCarryTheNonce(HttpResponseMessage response, string html)
    {
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = NonceSource().Match(csp);
        Assert.True(nonce.Success, $"No nonce in {csp}");
        var inline = InlineScript().Matches(html);
        Assert.NotEmpty(inline); // the import map
        Assert.All(inline, m => Assert.Equal(nonce.Groups[1].Value, WebUtility.HtmlDecode(NonceAttribute().Match(m.Value).Groups[1].Value)));
        Assert.DoesNotMatch(InlineHandler(), html);
    }

    [Fact]
    public async Task SignInPage_HasThePolicyAndItsImportMapTheNonce()
    {
        using var factory = new PortalFactory();
        using var client = FormSignIn.NewClient(factory);

        var response = await client.GetAsync("/Account/Login");

        AssertPageHeaders(response);
        AssertInlineScriptsCarryTheNonce(response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Nonce_DiffersPerResponse()
    {
        using var factory = new PortalFactory();
        using var client = FormSignIn.NewClient(factory);

        var first = NonceSource().Match((await client.GetAsync("/Account/Login")).Headers.GetValues("Content-Security-Policy").Single()).Value;
        var second = NonceSource().Match((await client.GetAsync("/Account/Login")).Headers.GetValues("Content-Security-Policy").Single()).Value;

        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/workspaces/ides/manage/security/authentication/sso/scim")]
    [InlineData("/workspaces/ides/manage/members")]
    [InlineData("/Account/Manage")]
    [InlineData("/no-such-page")]
    public async Task SignedInPages_HaveThePolicy(string path)
    {
        using var factory = new PortalFactory();
        using var client = await FormSignIn.SignedInClientAsync(factory, "admin@ides.example", PortalFactory.AdminPassword);

        var response = await client.GetAsync(path);

        AssertPageHeaders(response);
        AssertInlineScriptsCarryTheNonce(response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RedirectToSignIn_HasTheHeaders()
    {
        using var factory = new PortalFactory();
        using var client = FormSignIn.NewClient(factory);

        var response = await client.GetAsync("/Account/Manage");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        AssertPageHeaders(response);
    }

    [Theory]
    [InlineData(PortalFactory.IdesToken, HttpStatusCode.OK)]
    [InlineData("iscim_wrong", HttpStatusCode.Unauthorized)]
    public async Task ScimResponses_AreNosniff(string token, HttpStatusCode status)
    {
        using var factory = new ScimFactory();
        using var client = factory.Scim(token);

        var response = await client.GetAsync(ScimFactory.IdesBase + "/Users");

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.StartsWith("application/scim+json", Header(response, "Content-Type"), StringComparison.Ordinal);
    }

    [GeneratedRegex("'nonce-([A-Za-z0-9+/=]+)'")]
    private static partial Regex NonceSource();

    [GeneratedRegex("\\snonce=\"([^\"]*)\"")]
    private static partial Regex NonceAttribute();

    [GeneratedRegex("<script(?![^>]*\\ssrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("\\son[a-z]+\\s*=\\s*\"", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();
}
