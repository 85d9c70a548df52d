using System.Text.Json;

using IdeaScale.Portal.Scim.Credentials.OAuth;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

using OpenIddict.Abstractions;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdeaScale.Portal.Scim.Credentials.AuthorizationCode;

/// <summary>
/// Registers the platform-level clients of OAuth:Clients (Okta's: one client id and secret for every customer) as
/// OpenIddict applications allowed the authorization code grant with PKCE and refresh tokens, at start and again
/// whenever the configuration changes. OpenIddict hashes the secret (PBKDF2); an unchanged secret is not re-hashed.
/// A platform client removed from the configuration is deleted with its authorizations and tokens, and its grants
/// (so their access tokens stop on the next SCIM request).
/// </summary>
public sealed partial class OAuthPlatformClients(
    IServiceScopeFactory scopes,
    IOptionsMonitor<OAuthOptions> options,
    ILogger<OAuthPlatformClients> logger) : IHostedService, IDisposable
{
    /// <summary>Property on the OpenIddict application marking it as configured here (its value: the configuration name).</summary>
    public const string PlatformProperty = "ideascale_platform_client";

    private readonly SemaphoreSlim syncing = new(1, 1);
    private IDisposable? subscription;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Several instances starting at once may both create a client: the loser fails, either on the unique client_id
        // (DbUpdateException) or on OpenIddict's own check that it exists already (ValidationException); it syncs again
        // and then finds the client to update.
        try
        {
            await SyncAsync(options.CurrentValue, cancellationToken);
        }
        catch (Exception ex) when (ex is DbUpdateException or OpenIddictExceptions.ConcurrencyException or OpenIddictExceptions.ValidationException)
        {
            await SyncAsync(options.CurrentValue, cancellationToken);
        }

        subscription = options.OnChange(changed => _ = SyncOnChangeAsync(changed));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        subscription?.Dispose();
        syncing.Dispose();
    }

    private async Task SyncOnChangeAsync(OAuthOptions changed)
    {
        try
        {
            await SyncAsync(changed, CancellationToken.None);
        }
#pragma warning disable CA1031 // A bad configuration change must not stop the host; the previous registration stays.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSyncFailed(logger, ex);
        }
    }

    /// <summary>Makes OpenIddict's platform applications match <paramref name="oauth"/>.Clients.</summary>
    public async Task SyncAsync(OAuthOptions oauth, CancellationToken ct)
    {
        var configured = oauth.Clients.Select(c => (Name: c.Key, Client: Validate(c.Key, c.Value))).ToList();
        await syncing.WaitAsync(ct);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            foreach (var (name, client) in configured)
            {
                if (await db.ScimOAuthClients.AnyAsync(c => c.ClientId == client.ClientId, ct))
                {
                    throw new InvalidOperationException($"OAuth:Clients:{name}: the client id {client.ClientId} belongs to a workspace's client-credentials client.");
                }

                var application = await applications.FindByClientIdAsync(client.ClientId, ct);
                var descriptor = new OpenIddictApplicationDescriptor();
                if (application is not null)
                {
                    await applications.PopulateAsync(descriptor, application, ct);
                }

                descriptor.ClientId = client.ClientId;
                descriptor.ClientType = ClientTypes.Confidential;
                descriptor.ConsentType = ConsentTypes.Explicit;
                descriptor.DisplayName = string.IsNullOrWhiteSpace(client.DisplayName) ? name : client.DisplayName.Trim();
                descriptor.RedirectUris.Clear();
                descriptor.RedirectUris.UnionWith(client.RedirectUris.Select(u => new Uri(u, UriKind.Absolute)));
                descriptor.Permissions.Clear();
                descriptor.Permissions.UnionWith(
                [
                    Permissions.Endpoints.Authorization,
                    Permissions.Endpoints.Token,
                    Permissions.GrantTypes.AuthorizationCode,
                    Permissions.GrantTypes.RefreshToken,
                    Permissions.ResponseTypes.Code,
                    Permissions.Prefixes.Scope + OAuthTokenEndpoint.ScimScope,
                ]);
                descriptor.Requirements.Clear();
                descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
                descriptor.Properties[PlatformProperty] = JsonSerializer.SerializeToElement(name);

                if (application is null)
                {
                    descriptor.ClientSecret = client.ClientSecret;
                    await applications.CreateAsync(descriptor, ct);
                    LogRegistered(logger, name, client.ClientId);
                    continue;
                }

                // PopulateAsync copied the stored hash; a new secret replaces it (UpdateAsync hashes it).
                if (!await applications.ValidateClientSecretAsync(application, client.ClientSecret, ct))
                {
                    descriptor.ClientSecret = client.ClientSecret;
                }

                await applications.UpdateAsync(application, descriptor, ct);
            }

            var keep = configured.Select(c => c.Client.ClientId).ToHashSet(StringComparer.Ordinal);
            var removed = new List<object>();
            await foreach (var application in applications.ListAsync(count: null, offset: null, ct))
            {
                var properties = await applications.GetPropertiesAsync(application, ct);
                if (properties.ContainsKey(PlatformProperty) && !keep.Contains(await applications.GetClientIdAsync(application, ct) ?? ""))
                {
                    removed.Add(application);
                }
            }

            foreach (var application in removed)
            {
                var clientId = await applications.GetClientIdAsync(application, ct) ?? "";
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                await applications.DeleteAsync(application, ct);
                db.ScimOAuthGrants.RemoveRange(await db.ScimOAuthGrants.Where(g => g.ClientId == clientId).ToListAsync(ct));
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                LogRemoved(logger, clientId);
            }
        }
        finally
        {
            syncing.Release();
        }
    }

    private static OAuthPlatformClientOptions Validate(string name, OAuthPlatformClientOptions client)
    {
        if (string.IsNullOrWhiteSpace(client.ClientId) || string.IsNullOrWhiteSpace(client.ClientSecret))
        {
            throw new InvalidOperationException($"OAuth:Clients:{name} needs a ClientId and a ClientSecret.");
        }

        if (client.RedirectUris.Count == 0 || client.RedirectUris.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0))
        {
            throw new InvalidOperationException($"OAuth:Clients:{name}:RedirectUris needs at least one absolute URI without a fragment.");
        }

        return client;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "OAuth platform client {Name} ({ClientId}) registered for the authorization code grant")]
    private static partial void LogRegistered(ILogger logger, string name, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "OAuth platform client {ClientId} is no longer configured: removed with its grants and tokens")]
    private static partial void LogRemoved(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not apply the changed OAuth:Clients configuration; the previous registration stays")]
    private static partial void LogSyncFailed(ILogger logger, Exception ex);
}
