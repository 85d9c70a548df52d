using System.Net.Http.Headers;
using System.Text;

using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Tests.Infrastructure;

namespace IdeaScale.Portal.Tests.Scim.Credentials.Tokens;

public sealed class ScimAuthenticationTests : IClassFixture<AccessFactory>
{
    private const string Probe = "scim/v2/Users";
    private readonly AccessFactory factory;

    public ScimAuthenticationTests(AccessFactory factory) => this.factory = factory;

    public static TheoryData<string, string?> FailingHeaders => new()
    {
        { "missing header", null },
        { "empty header", "" },
        { "Bearer without token", "Bearer" },
        { "Bearer with blank token", "Bearer    " },
        { "malformed scheme", "Token " + PortalFactory.IdesToken },
        { "Okta's test header", "non-token" },
        { "wrong Bearer token", "Bearer " + PortalFactory.IdesToken[..^1] + "X" },
        { "token with a space", "Bearer " + PortalFactory.IdesToken + " extra" },
        { "Basic without credentials", "Basic" },
        { "Basic with bad base64", "Basic !!not-base64!!" },
        { "Basic without colon", "Basic " + B64("ides" + PortalFactory.IdesToken) },
        { "Basic with empty slug", "Basic " + B64(":" + PortalFactory.IdesToken) },
        { "Basic with empty token", "Basic " + B64("ides:") },
        { "Basic with wrong slug", "Basic " + B64("acme:" + PortalFactory.IdesToken) },
        { "Basic with unknown slug", "Basic " + B64("nobody:" + PortalFactory.IdesToken) },
        { "Basic with wrong token", "Basic " + B64("ides:" + PortalFactory.IdesToken[..^1] + "X") },
        { "Basic with another workspace's token", "Basic " + B64("ides:" + PortalFactory.AcmeToken) },
        { "Basic with invalid UTF-8", "Basic " + Convert.ToBase64String([0x69, 0x64, 0x3A, 0xFF, 0xFE]) },
    };

    [Theory]
    [MemberData(nameof(FailingHeaders))]
    public async Task Request_WithBadCredentials_Returns401WithScimBodyAndBothChallenges(string because, string? authorization)
    {
        using var client = factory.Scim();
        using var request = new HttpRequestMessage(HttpMethod.Get, Probe);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);

        var body = await ScimAssert.ErrorAsync(response, 401);
        Assert.Equal(ScimAuthenticationDefaults.FailureDetail, body.GetProperty("detail").GetString());
        var challenges = response.Headers.WwwAuthenticate.Select(h => h.Scheme).ToList();
        Assert.True(challenges.Contains("Bearer") && challenges.Contains("Basic"), because);
    }

    [Fact]
    public async Task Request_WithValidBearerToken_IsAdmitted()
    {
        using var client = factory.Scim(PortalFactory.IdesToken);
        ScimAssert.Ok(await client.GetAsync(Probe));
    }

    [Theory]
    [InlineData("ides", PortalFactory.IdesToken)]
    [InlineData("IDES", PortalFactory.IdesToken)]
    [InlineData("acme", PortalFactory.AcmeToken)]
    public async Task Request_WithBasicSlugAndToken_IsAdmitted(string slug, string token)
    {
        using var client = factory.Scim();
        client.DefaultRequestHeaders.Authorization = AccessFactory.Basic(slug, token);
        ScimAssert.Ok(await client.GetAsync(Probe));
    }

    [Fact]
    public async Task Request_WithLowerCaseBearerScheme_IsAdmitted()
    {
        using var client = factory.Scim();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer " + PortalFactory.AcmeToken);
        ScimAssert.Ok(await client.GetAsync(Probe));
    }

    [Fact]
    public async Task Request_WithTokenInQueryString_Returns401EvenWithValidHeader()
    {
        using var client = factory.Scim(PortalFactory.IdesToken);
        using var response = await client.GetAsync(Probe + "?access_token=" + PortalFactory.IdesToken);
        await ScimAssert.ErrorAsync(response, 401);
    }

    [Fact]
    public async Task Request_OnAnotherWorkspacesHost_Returns401()
    {
        using var onAcmeHost = factory.Scim(PortalFactory.IdesToken, host: "acme.localhost");
        await ScimAssert.ErrorAsync(await onAcmeHost.GetAsync(Probe), 401);

        using var basicOnAcmeHost = factory.Scim(host: "acme.localhost");
        basicOnAcmeHost.DefaultRequestHeaders.Authorization = AccessFactory.Basic("ides", PortalFactory.IdesToken);
        await ScimAssert.ErrorAsync(await basicOnAcmeHost.GetAsync(Probe), 401);
    }

    [Fact]
    public async Task Request_OnOwnWorkspaceHost_IsAdmitted()
    {
        using var onIdesHost = factory.Scim(PortalFactory.IdesToken, host: "ides.localhost");
        ScimAssert.Ok(await onIdesHost.GetAsync(Probe));
        using var onAcmeHost = factory.Scim(PortalFactory.AcmeToken, host: "ACME.localhost");
        ScimAssert.Ok(await onAcmeHost.GetAsync(Probe));
    }

    [Fact]
    public async Task Request_UnknownRouteWithoutCredentials_Returns401NotRouteInformation()
    {
        using var client = factory.Scim();
        await ScimAssert.ErrorAsync(await client.GetAsync("scim/v2/NoSuchThing"), 401);
    }

    [Theory]
    [InlineData("Bearer abc", null, "abc")]
    [InlineData("BEARER  abc ", null, "abc")]
    [InlineData("Basic aWRlczp0OmsK", "ides", "t:k\n")]
    public void TryReadCredentials_WellFormed_SplitsSlugAndToken(string header, string? slug, string token)
    {
        Assert.True(ScimTokenHandler.TryReadCredentials(header, out var s, out var t));
        Assert.Equal(slug, s);
        Assert.Equal(token, t);
    }

    private static string B64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
}
