using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;

using IdeaScale.Portal.Data.AccessChanges;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Credentials.Tokens;

/// <summary>
/// Authenticates a SCIM request by its workspace token, sent as <c>Authorization: Bearer &lt;token&gt;</c> or as
/// HTTP Basic with the workspace slug as user name and the token as password. The token is looked up by its
/// SHA-256 hash and compared in constant time (<see cref="ScimCredentials.FindAsync"/>, through
/// <see cref="ScimAccessCache"/>); a token replaced without
/// grace, or whose grace has ended, is unknown. When the request's Host is a known workspace host, the token must
/// belong to that workspace. Failures carry no detail about which part was wrong and never include the token.
/// </summary>
public sealed class ScimTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ScimAccessCache cache,
    AccessVersion accessVersion,
    ScimWorkspaceLookup workspaces) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    /// <summary>Longest Authorization header considered; a token is ~50 characters.</summary>
    private const int MaxHeaderLength = 2048;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Credentials in a URL end up in proxy and access logs; refuse them outright.
        if (Request.Query.ContainsKey("access_token"))
        {
            return AuthenticateResult.Fail("Credentials in the query string are not accepted.");
        }

        var header = Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (header.Count > 1 || !TryReadCredentials(header.ToString(), out var slug, out var token))
        {
            return AuthenticateResult.Fail("Malformed Authorization header.");
        }

        // Another instance may have regenerated a token or switched SCIM or SSO off: one read of the access version
        // clears every cached access fact first when it has moved.
        await accessVersion.EnsureCurrentAsync(Context.RequestAborted);
        var credential = await FindAsync(token);
        if (credential is null)
        {
            return AuthenticateResult.Fail("Unknown or expired token.");
        }

        var workspace = await workspaces.GetAsync(credential.WorkspaceId, Request.Host.Host, Context.RequestAborted);
        if (workspace is null || (slug is not null && !string.Equals(slug, workspace.Slug, StringComparison.OrdinalIgnoreCase)))
        {
            return AuthenticateResult.Fail("The token does not belong to the named workspace.");
        }

        // Workspace binding: on a workspace's own host only that workspace's token is accepted.
        if (!workspace.HostAllowed)
        {
            return AuthenticateResult.Fail("The token does not belong to this host's workspace.");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ScimAuthenticationDefaults.WorkspaceIdClaim, workspace.Id.ToString()),
                new Claim(ScimAuthenticationDefaults.WorkspaceSlugClaim, workspace.Slug),
                new Claim(ScimAuthenticationDefaults.CredentialIdClaim, credential.Id.ToString()),
            ],
            Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>
    /// The credential of a presented token, from <see cref="ScimAccessCache"/> (keyed by the token's hash, never the
    /// token) or the database; the final comparison is constant-time either way.
    /// </summary>
    private async Task<ScimCredentialFacts?> FindAsync(string token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > ScimCredentials.MaxTokenLength)
        {
            return null;
        }

        // The credentials service (and its DbContext) only on a cache miss.
        var facts = await cache.GetCredentialAsync(ScimCredentials.Hash(token), async () =>
            await Context.RequestServices.GetRequiredService<ScimCredentials>().FindAsync(token, Context.RequestAborted) is { } c ? new ScimCredentialFacts(c.Id, c.WorkspaceId, c.TokenHash, c.ExpiresAt) : null);
        return facts is not null && ScimCredentials.Matches(token, facts.TokenHash) ? facts : null;
    }

    /// <summary>401 with a SCIM error body and a Bearer and a Basic challenge.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ScimErrorHandling.WriteAsync(Context, ScimException.Unauthorized(ScimAuthenticationDefaults.FailureDetail).ToError(), [Challenge]);

    public static KeyValuePair<string, string[]> Challenge { get; } = new(
        "WWW-Authenticate",
        [$"Bearer realm=\"{ScimAuthenticationDefaults.Realm}\"", $"Basic realm=\"{ScimAuthenticationDefaults.Realm}\", charset=\"UTF-8\""]);

    /// <summary>
    /// Reads "Bearer &lt;token&gt;" (slug null) or "Basic base64(slug:token)". Anything else, including empty parts
    /// and invalid base64 or UTF-8, is malformed.
    /// </summary>
    internal static bool TryReadCredentials(string header, out string? slug, out string token)
    {
        slug = null;
        token = "";
        if (header.Length > MaxHeaderLength)
        {
            return false;
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return false;
        }

        var scheme = header[..space];
        var parameter = header[(space + 1)..].Trim();
        if (parameter.Length == 0)
        {
            return false;
        }

        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            token = parameter;
            return !parameter.Contains(' ', StringComparison.Ordinal);
        }

        if (!scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var buffer = new byte[parameter.Length];
        if (!Convert.TryFromBase64String(parameter, buffer, out var written))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == decoded.Length - 1)
        {
            return false;
        }

        slug = decoded[..colon];
        token = decoded[(colon + 1)..];
        return true;
    }
}
