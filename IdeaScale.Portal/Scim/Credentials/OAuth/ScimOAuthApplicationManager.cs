using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// OpenIddict's application manager with the client secrets of a workspace client read from
/// <see cref="ScimOAuthSecret"/>: up to two active secrets per client (a rotation without a gap), each with its own
/// expiry. Hashing and the constant-time comparison are OpenIddict's own (PBKDF2); only where the hashes live changes.
/// </summary>
public sealed class ScimOAuthApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    PortalDbContext db,
    OAuthClientAuthentication authentication,
    TimeProvider time) : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    /// <summary>OpenIddict's hash of a new secret, as stored in <see cref="ScimOAuthSecret.Hash"/>.</summary>
    public ValueTask<string> HashSecretAsync(string secret, CancellationToken ct = default) => ObfuscateClientSecretAsync(secret, ct);

    public override async ValueTask<bool> ValidateClientSecretAsync(
        OpenIddictEntityFrameworkCoreApplication application, string secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(application);
        var clientId = await GetClientIdAsync(application, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var secrets = await db.ScimOAuthSecrets.AsNoTracking()
            .Where(s => s.Client!.ClientId == clientId && s.ExpiresAt > now)
            .Select(s => new { s.Id, s.Hash })
            .ToListAsync(cancellationToken);
        if (secrets.Count == 0)
        {
            // Platform clients (OAuth:Clients) keep their secret on the application itself.
            return await base.ValidateClientSecretAsync(application, secret, cancellationToken);
        }

        foreach (var candidate in secrets)
        {
            if (await ValidateClientSecretAsync(secret, candidate.Hash, cancellationToken))
            {
                authentication.SecretId = candidate.Id;
                return true;
            }
        }

        return false;
    }
}
