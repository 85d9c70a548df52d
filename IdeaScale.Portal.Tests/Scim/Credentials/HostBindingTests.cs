using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Credentials;

/// <summary>
/// Workspace binding compares hosts normalised (trailing dot, case, IDN as punycode): a spelling of another
/// workspace's host is that workspace's host, not an unknown one that accepts any token.
/// </summary>
public sealed class HostBindingTests : IClassFixture<AccessFactory>
{
    private const string Probe = "scim/v2/Users";
    private const string IdnToken = "iscim_test-idn-0123456789abcdefghijklmnopqrstuvwxyzABCDE";
    private readonly AccessFactory factory;

    public HostBindingTests(AccessFactory factory)
    {
        this.factory = factory;
        AddIdnWorkspaceOnce().GetAwaiter().GetResult();
    }

    [Theory]
    [InlineData("acme.localhost.")]
    [InlineData("ACME.LOCALHOST.")]
    [InlineData("Acme.Localhost")]
    public async Task Request_OnAnotherWorkspacesHostSpelledDifferently_Returns401(string host)
    {
        await ScimAssert.ErrorAsync(await SendAsync(PortalFactory.IdesToken, host), 401);
    }

    [Theory]
    [InlineData("acme.localhost.")]
    [InlineData("ACME.LOCALHOST.")]
    public async Task Request_OnOwnHostSpelledDifferently_IsAdmitted(string host)
    {
        ScimAssert.Ok(await SendAsync(PortalFactory.AcmeToken, host));
    }

    [Theory]
    [InlineData("xn--bcher-kva.localhost")]
    [InlineData("XN--BCHER-KVA.localhost.")]
    public async Task Request_OnIdnWorkspacesPunycodeHost_AcceptsOnlyItsOwnToken(string host)
    {
        await ScimAssert.ErrorAsync(await SendAsync(PortalFactory.IdesToken, host), 401);
        ScimAssert.Ok(await SendAsync(IdnToken, host));
    }

    [Theory]
    [InlineData("acme.localhost.", "acme.localhost")]
    [InlineData("ACME.localhost", "acme.localhost")]
    [InlineData("Bücher.localhost.", "xn--bcher-kva.localhost")]
    [InlineData("xn--bcher-kva.localhost", "xn--bcher-kva.localhost")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("[::1]", "[::1]")]
    public void NormaliseHost_FoldsTrailingDotCaseAndIdn(string host, string expected) =>
        Assert.Equal(expected, Workspace.NormaliseHost(host));

    /// <summary>Sends with exactly this Host header (HttpClient would normalise a base address).</summary>
    private async Task<HttpResponseMessage> SendAsync(string token, string host)
    {
        using var client = factory.Scim(token);
        using var request = new HttpRequestMessage(HttpMethod.Get, Probe);
        request.Headers.Host = host;
        var response = await client.SendAsync(request);
        return response;
    }

    private async Task AddIdnWorkspaceOnce()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        if (db.Workspaces.Any(w => w.Slug == "buecher"))
        {
            return;
        }

        var now = factory.Time.GetUtcNow().UtcDateTime;
        var workspace = new Workspace
        {
            Name = "Bücher",
            Slug = "buecher",
            PublicUrl = "http://bücher.localhost:5080",
            Scim = new ScimSettings { Enabled = true, EnabledChangedAt = now, EnabledChangedBy = "test" },
            Sso = new SsoConfiguration { Protocol = SsoProtocol.OpenIdConnect, EntityIdOrIssuer = "https://idp.example", ClientId = "c", Active = true, Updated = now },
        };
        db.Workspaces.Add(workspace);
        await db.SaveChangesAsync();
        Assert.Equal("xn--bcher-kva.localhost", workspace.Host);
        await scope.ServiceProvider.GetRequiredService<ScimCredentials>().IssueAsync(workspace.Id, "test", replacing: null, presetToken: IdnToken);
    }
}
