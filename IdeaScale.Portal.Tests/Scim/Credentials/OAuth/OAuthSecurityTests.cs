using System.Net;
using System.Text;

using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using static IdeaScale.Portal.Tests.Scim.Credentials.OAuth.OAuthTestKit;

namespace IdeaScale.Portal.Tests.Scim.Credentials.OAuth;

/// <summary>Rate limits of the token endpoint, auditing, secrets never in clear, keys that survive a restart.</summary>
public sealed class OAuthSecurityTests
{
    [Fact]
    public async Task The_token_endpoint_is_rate_limited_per_client()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?> { ["OAuth:TokenRateLimit:PerClientPerMinute"] = "2" });
        using var client = factory.Scim();
        await AccessTokenAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret));
        await AccessTokenAsync(await RequestTokenPostAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret));

        var limited = await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter is not null);
        Assert.Equal("temporarily_unavailable", await ErrorAsync(limited));

        // Another client id has its own bucket (and is then refused on its credentials, not the limit).
        Assert.Equal("invalid_client", await ErrorAsync(await RequestTokenPostAsync(client, "other-client", "x")));
    }

    [Fact]
    public async Task The_token_endpoint_is_rate_limited_per_IP()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?> { ["OAuth:TokenRateLimit:PerIpPerMinute"] = "3" });
        using var client = factory.Scim();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("invalid_client", await ErrorAsync(await RequestTokenPostAsync(client, $"guess-{i}", "x")));
        }

        var limited = await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
    }

    [Fact]
    public async Task Every_change_is_audited_with_the_acting_account_and_non_admins_are_refused_and_audited()
    {
        using var factory = new AccessFactory();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var administration = factory.Get<OAuthClientAdministration>();

        await administration.DeleteAsync(admin, "ides");
        var created = await administration.CreateAsync(admin, "ides", 365);
        var added = await administration.AddSecretAsync(admin, "ides", 30);
        var view = await administration.GetAsync(admin, "ides");
        Assert.Equal(2, view!.ActiveSecrets.Count);
        Assert.Equal(factory.Time.GetUtcNow().UtcDateTime.AddDays(365), view.ActiveSecrets[0].ExpiresAt, TimeSpan.FromSeconds(1));
        await administration.RemoveSecretAsync(admin, "ides", view.ActiveSecrets[0].Id);

        // Another workspace's admin and the CSM cannot change ides's client.
        var acmeAdmin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => administration.AddSecretAsync(acmeAdmin, "ides", 30));
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => administration.DeleteAsync(csm, "ides"));
        // More than three years is refused.
        await Assert.ThrowsAsync<InvalidOperationException>(() => administration.AddSecretAsync(admin, "ides", 1096));

        var events = (await factory.EventsAsync()).Where(e => e.Operation >= ProvisioningOperation.OAuthClientCreated).ToList();
        Assert.Equal(
            [ProvisioningOperation.OAuthClientDeleted, ProvisioningOperation.OAuthClientCreated, ProvisioningOperation.OAuthSecretAdded, ProvisioningOperation.OAuthSecretRemoved],
            events.Where(e => e.Outcome == EventOutcome.Success).Select(e => e.Operation));
        Assert.All(events.Where(e => e.Outcome == EventOutcome.Success), e => Assert.Equal(DemoSeeder.AdminEmail("ides"), e.Actor));
        var refused = events.Where(e => e.Outcome == EventOutcome.Failure).ToList();
        Assert.Equal([DemoSeeder.AdminEmail("acme"), DemoSeeder.CsmEmail], refused.Select(e => e.Actor));
        Assert.DoesNotContain(events, e => e.Summary!.Contains(created.Secret, StringComparison.Ordinal) || e.Summary.Contains(added.Secret, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Provider", "Sqlite")] // reads the SQLite file's bytes for secrets in clear
    public async Task No_secret_or_access_token_appears_in_the_log_or_the_database_in_clear()
    {
        string secret, accessToken;
        using (var factory = new AccessFactory())
        {
            var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
            secret = (await factory.Get<OAuthClientAdministration>().AddSecretAsync(admin, "ides", 30)).Secret;
            using var client = factory.Scim();
            accessToken = await AccessTokenAsync(await RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, secret));
            await ErrorAsync(await RequestTokenPostAsync(client, PortalFactory.IdesOAuthClientId, secret + "x"));
            using var scim = factory.Scim(bearer: accessToken);
            ScimAssert.Ok(await scim.GetAsync("scim/v2/Users?count=1"));
            await factory.FlushAsync();

            var logs = factory.Logs.All;
            Assert.Contains("OpenIddict.Server", logs, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(PortalFactory.IdesOAuthSecret, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(accessToken, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(accessToken.Split('.')[2], logs, StringComparison.Ordinal);

            var hashes = await factory.WithDbAsync(db => db.ScimOAuthSecrets.Select(s => s.Hash).ToListAsync());
            Assert.Equal(2, hashes.Count);
            Assert.All(hashes, h => Assert.DoesNotContain("iscs_", h, StringComparison.Ordinal));
            factory.Dispose();
            var database = Encoding.Latin1.GetString(await ReadAllAsync(factory.DatabasePath));
            Assert.DoesNotContain(secret, database, StringComparison.Ordinal);
            Assert.DoesNotContain(PortalFactory.IdesOAuthSecret, database, StringComparison.Ordinal);
            Assert.DoesNotContain(accessToken.Split('.')[2], database, StringComparison.Ordinal);
        }
    }

    private static async Task<byte[]> ReadAllAsync(string databasePath)
    {
        // The database and its write-ahead log, whichever holds the rows.
        var bytes = new List<byte>(await File.ReadAllBytesAsync(databasePath));
        if (File.Exists(databasePath + "-wal"))
        {
            bytes.AddRange(await File.ReadAllBytesAsync(databasePath + "-wal"));
        }

        return [.. bytes];
    }

    [Fact]
    public async Task Signing_keys_persist_across_a_restart_and_are_stored_protected()
    {
        string token;
        string directory;
        using (var first = new PortalFactory())
        {
            directory = first.DataDirectory;
            using var client = first.CreateClient();
            token = await IdesAccessTokenAsync(client);
        }

        using var second = new PortalFactory(directory, null);
        using var scim = second.CreateClient();
        scim.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        ScimAssert.Ok(await scim.GetAsync("scim/v2/Users?count=1"));

        await using var scope = second.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var keys = await db.OAuthServerKeys.AsNoTracking().ToListAsync();
        Assert.Equal(["enc", "sig"], keys.Select(k => k.Use).Order());
        foreach (var key in keys)
        {
            using var rsa = System.Security.Cryptography.RSA.Create();
            Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(key.ProtectedKey), out _));
        }
    }
}
