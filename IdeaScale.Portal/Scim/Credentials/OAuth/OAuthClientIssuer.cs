using System.Security.Cryptography;

using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

using OpenIddict.Abstractions;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Creates and changes a workspace's client-credentials client: the OpenIddict application and its
/// <see cref="ScimOAuthClient"/> row, and its secrets (hashed by OpenIddict, shown once). Works on the scoped
/// <see cref="PortalDbContext"/>, which OpenIddict's stores share, so the caller's transaction covers both. The
/// only place that sees a client secret in clear.
/// </summary>
public sealed class OAuthClientIssuer(PortalDbContext db, ScimOAuthApplicationManager applications, TimeProvider time)
{
    public const string SecretPrefix = "iscs_";
    public const int MaxActiveSecrets = 2;

    /// <summary>A new secret: a recognisable prefix (for secret scanners) and 256 random bits, base64url.</summary>
    public static string NewSecret() => SecretPrefix + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    /// <summary>A new client id: the workspace slug and 64 random bits (client ids are not secret, only unique).</summary>
    public static string NewClientId(string slug) => $"{slug}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";

    /// <summary>
    /// Registers the workspace's client (one per workspace) allowed the client-credentials grant on the token endpoint,
    /// with a first secret that expires after <paramref name="lifetime"/>. Saves; returns the secret in clear.
    /// </summary>
    public async Task<(ScimOAuthClient Client, string Secret)> CreateClientAsync(
        Guid workspaceId, string slug, string? actor, TimeSpan lifetime,
        string? presetClientId = null, string? presetSecret = null, CancellationToken ct = default)
    {
        var client = await RegisterAsync(workspaceId, slug, actor, presetClientId, ct);
        var secret = string.IsNullOrWhiteSpace(presetSecret) ? NewSecret() : presetSecret;
        client.Secrets.Add(await NewSecretRowAsync(secret, actor, client.CreatedAt, lifetime, ct));
        db.ScimOAuthClients.Add(client);
        await db.SaveChangesAsync(ct);
        return (client, secret);
    }

    /// <summary>
    /// Sets (or replaces) the client's workload identity federation settings; a workspace without a client gets one,
    /// without any secret. A new <see cref="ScimOAuthClient.FederationId"/> each time, so the access tokens obtained
    /// with the previous settings stop on their next request. Saves; returns the client and whether it was created.
    /// </summary>
    public async Task<(ScimOAuthClient Client, bool Created)> SetFederationAsync(
        Guid workspaceId, string slug, string? actor, OAuthFederationSettings settings, CancellationToken ct = default)
    {
        var client = await db.ScimOAuthClients.FirstOrDefaultAsync(c => c.WorkspaceId == workspaceId, ct);
        var created = client is null;
        if (client is null)
        {
            client = await RegisterAsync(workspaceId, slug, actor, presetClientId: null, ct);
            db.ScimOAuthClients.Add(client);
        }

        client.FederationIssuer = settings.Issuer;
        client.FederationJwksUrl = settings.JwksUrl;
        client.FederationSubject = settings.Subject;
        client.FederationAudience = settings.Audience;
        client.FederationId = Guid.NewGuid();
        await db.SaveChangesAsync(ct);
        return (client, created);
    }

    /// <summary>Removes the federation settings: assertions no longer authenticate, and the tokens they obtained stop on their next request.</summary>
    public async Task<ScimOAuthClient> RemoveFederationAsync(Guid workspaceId, CancellationToken ct = default)
    {
        var client = await db.ScimOAuthClients.FirstOrDefaultAsync(c => c.WorkspaceId == workspaceId && c.FederationId != null, ct)
            ?? throw new InvalidOperationException("This workspace's OAuth client has no workload identity federation.");
        client.FederationIssuer = client.FederationJwksUrl = client.FederationSubject = client.FederationAudience = null;
        client.FederationId = null;
        await db.SaveChangesAsync(ct);
        return client;
    }

    /// <summary>The OpenIddict application of a new workspace client and its (unsaved) row; one client per workspace.</summary>
    private async Task<ScimOAuthClient> RegisterAsync(Guid workspaceId, string slug, string? actor, string? presetClientId, CancellationToken ct)
    {
        if (await db.ScimOAuthClients.AnyAsync(c => c.WorkspaceId == workspaceId, ct))
        {
            throw new InvalidOperationException("This workspace already has an OAuth client. Add a secret to it, or delete it first.");
        }

        var clientId = string.IsNullOrWhiteSpace(presetClientId) ? NewClientId(slug) : presetClientId.Trim();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            // OpenIddict requires a secret on a confidential application. This one is never handed out: the
            // client's real secrets are in ScimOAuthSecrets (ScimOAuthApplicationManager checks only those).
            ClientSecret = NewSecret(),
            ClientType = ClientTypes.Confidential,
            DisplayName = $"SCIM provisioning of {slug}",
            Permissions =
            {
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.ClientCredentials,
                Permissions.Prefixes.Scope + OAuthTokenEndpoint.ScimScope,
            },
        };
        var application = await applications.CreateAsync(descriptor, ct);
        return new ScimOAuthClient
        {
            WorkspaceId = workspaceId,
            ClientId = clientId,
            ApplicationId = (await applications.GetIdAsync(application, ct))!,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            CreatedBy = actor,
        };
    }

    /// <summary>Adds a secret to the workspace's client (at most <see cref="MaxActiveSecrets"/> active). Saves; returns it in clear.</summary>
    public async Task<(ScimOAuthSecret Row, string Secret)> AddSecretAsync(Guid workspaceId, string? actor, TimeSpan lifetime, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var client = await db.ScimOAuthClients.Include(c => c.Secrets).FirstOrDefaultAsync(c => c.WorkspaceId == workspaceId, ct)
            ?? throw new InvalidOperationException("This workspace has no OAuth client yet.");

        // Expired secrets are dropped here; they no longer authenticate anyway.
        db.ScimOAuthSecrets.RemoveRange(client.Secrets.Where(s => s.ExpiresAt <= now));
        if (client.Secrets.Count(s => s.ExpiresAt > now) >= MaxActiveSecrets)
        {
            throw new InvalidOperationException("The client already has two active secrets. Remove the old one before adding another.");
        }

        var secret = NewSecret();
        var row = await NewSecretRowAsync(secret, actor, now, lifetime, ct);
        row.ClientId = client.Id;
        db.ScimOAuthSecrets.Add(row);
        await db.SaveChangesAsync(ct);
        return (row, secret);
    }

    /// <summary>Removes one secret: it stops obtaining tokens, and the access tokens it obtained stop on their next request.</summary>
    public async Task<ScimOAuthSecret> RemoveSecretAsync(Guid workspaceId, Guid secretId, CancellationToken ct = default)
    {
        var secret = await db.ScimOAuthSecrets.FirstOrDefaultAsync(s => s.Id == secretId && s.Client!.WorkspaceId == workspaceId, ct)
            ?? throw new InvalidOperationException("That secret does not exist (any more).");
        db.ScimOAuthSecrets.Remove(secret);
        await db.SaveChangesAsync(ct);
        return secret;
    }

    /// <summary>Deletes the workspace's client, its OpenIddict application and everything issued to it.</summary>
    public async Task<ScimOAuthClient> DeleteClientAsync(Guid workspaceId, CancellationToken ct = default)
    {
        var client = await db.ScimOAuthClients.FirstOrDefaultAsync(c => c.WorkspaceId == workspaceId, ct)
            ?? throw new InvalidOperationException("This workspace has no OAuth client.");
        if (await applications.FindByIdAsync(client.ApplicationId, ct) is { } application)
        {
            await applications.DeleteAsync(application, ct);
        }

        db.ScimOAuthClients.Remove(client);
        await db.SaveChangesAsync(ct);
        return client;
    }

    public Task<string> ClientIdAsync(Guid workspaceId, CancellationToken ct) =>
        db.ScimOAuthClients.Where(c => c.WorkspaceId == workspaceId).Select(c => c.ClientId).FirstAsync(ct);

    private async Task<ScimOAuthSecret> NewSecretRowAsync(string secret, string? actor, DateTime now, TimeSpan lifetime, CancellationToken ct) => new()
    {
        Hash = await applications.HashSecretAsync(secret, ct),
        Hint = secret[^4..],
        CreatedAt = now,
        CreatedBy = actor,
        ExpiresAt = now + lifetime,
    };
}
