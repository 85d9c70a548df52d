using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Scim.Protocol;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces.ConnectionTest;

/// <summary>
/// "Test connection" on the SCIM page: replays, against this workspace's own /scim/v2 with its current token, the
/// requests Microsoft Entra ID's "Test Connection" and Okta's "Test Connector Configuration" send (SCIM-INTEROP.md),
/// and says whether each would pass and why not. Only GETs: nothing is created or changed, and the probes carry
/// <see cref="ConnectionTestMarker"/> so they are left out of the provisioning log and the token's last use (the
/// test itself is audited once, as ConnectionTested with the acting admin).
/// SSRF-safe by construction: every probe is dialled to this app's own listening socket on loopback (Kestrel's
/// bound address, never a host from a request or from the database); the workspace's public host only goes into
/// the Host header (with its port, as the IdP sends it), so the workspace binding applies exactly as for the IdP.
/// With the client secret of the workspace's OAuth client (entered by the admin for this run only: never stored, never
/// logged, never shown), it also tests Entra's OAuth 2.0 client-credentials connection: the authorization server
/// metadata, the token exchange as Entra sends it, and the user probe with the access token obtained
/// (<see cref="OAuthProbesAsync"/>).
/// </summary>
public sealed class ScimConnectionTest(
    IDbContextFactory<PortalDbContext> dbFactory,
    IDataProtectionProvider protection,
    IServer server,
    ConnectionTestMarker marker,
    TimeProvider time)
{
    public const string UserAgent = "IdeaScale-Portal-ConnectionTest/1.0";
    private const int MaxShownBody = 4000;

    private sealed record ProbeSpec(string Name, ProbeIdp Idps, string Target, Func<JsonNode?, string?> Check);

    private const string Redacted = "•••••• (redacted)";

    /// <summary>
    /// Runs the probes for the workspace <paramref name="slug"/>; admins of that workspace only (anyone else:
    /// <see cref="UnauthorizedAccessException"/>, and the refused attempt is audited). With
    /// <paramref name="clientSecret"/> (the secret the identity provider holds for the workspace's OAuth client), the
    /// OAuth client-credentials probes run too; the secret is used for the one token request and nothing else.
    /// </summary>
    public async Task<ConnectionTestReport> RunAsync(ClaimsPrincipal user, string slug, string? clientSecret = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var ws = await db.Workspaces.AsNoTracking().Where(w => w.Slug == slug)
            .Select(w => new
            {
                w.Id,
                w.PublicUrl,
                SsoActive = w.Sso != null && w.Sso.Active,
                ScimEnabled = w.Scim != null && w.Scim.Enabled,
                ChangedAt = w.Scim != null ? w.Scim.EnabledChangedAt : null,
                ChangedBy = w.Scim != null ? w.Scim.EnabledChangedBy : null,
                DisabledReason = w.Scim != null ? w.Scim.DisabledReason : null,
                CsmName = w.CustomerSuccessManager != null ? w.CustomerSuccessManager.DisplayName : null,
            })
            .FirstOrDefaultAsync(ct);
        if (ws is null)
        {
            throw ScimAdministration.Denied();
        }

        if (!await actor.IsAdminOfAsync(db, ws.Id, ct))
        {
            db.ProvisioningEvents.Add(ScimAdministration.Audit(ws.Id, actor, actor.IsCustomerSuccess ? ActorKind.CustomerSuccess : ActorKind.System,
                ProvisioningOperation.ConnectionTested, EventOutcome.Failure, "Refused: only administrators of this workspace can test its SCIM connection.", now));
            await db.SaveChangesAsync(ct);
            throw ScimAdministration.Denied();
        }

        var baseUrl = ws.PublicUrl.TrimEnd('/') + ScimConstants.BasePath;
        var credential = await db.ScimCredentials.AsNoTracking().FirstOrDefaultAsync(c => c.WorkspaceId == ws.Id && c.ExpiresAt == null, ct);
        var oauthClientId = await db.ScimOAuthClients.AsNoTracking().Where(c => c.WorkspaceId == ws.Id).Select(c => c.ClientId).FirstOrDefaultAsync(ct);
        var oauth = oauthClientId is null ? OAuthTestScope.NoClient
            : string.IsNullOrWhiteSpace(clientSecret) ? OAuthTestScope.SecretNotEntered
            : OAuthTestScope.Included;
        ConnectionTestReport report;
        if (credential is null)
        {
            report = new(now, baseUrl, [], "This workspace has no SCIM token yet: regenerate one, then test again.", oauth, oauthClientId);
        }
        else if (OwnEndpoint() is not { } endpoint)
        {
            report = new(now, baseUrl, [], "The connection test needs the app's own HTTP listener, and none is bound on this instance.", oauth, oauthClientId);
        }
        else
        {
            var token = new ScimCredentials(db, protection, time).Reveal(credential);
            var publicUrl = new Uri(ws.PublicUrl);
            using var client = Dialler(endpoint);
            var origin = new UriBuilder(endpoint.Scheme, publicUrl.Host, endpoint.Port).Uri;
            var probes = await ProbeAsync(client, origin, publicUrl.Authority, token, ct);
            if (oauth == OAuthTestScope.Included)
            {
                probes.AddRange(await OAuthProbesAsync(client, origin, publicUrl, oauthClientId!, clientSecret!.Trim(), ct));
            }

            var cause = probes.All(p => p.Passed) ? null
                : probes.FirstOrDefault(p => p.Status == StatusCodes.Status403Forbidden) is not null
                    ? ForbiddenCause(ws.SsoActive, ws.ScimEnabled, ws.ChangedBy, ws.ChangedAt, ws.DisabledReason, ws.CsmName)
                    : probes.First(p => !p.Passed).Explanation;
            report = new(now, baseUrl, probes, cause, oauth, oauthClientId);
        }

        var passed = report.Probes.Count(p => p.Passed);
        var summary = (report.Passed
            ? string.Create(CultureInfo.InvariantCulture, $"Connection test passed: all {passed} probes answered as Microsoft Entra ID and Okta expect.")
            : string.Create(CultureInfo.InvariantCulture, $"Connection test failed ({passed} of {report.Probes.Count} probes passed): {report.Cause}"))
            + OAuthSummary(report) + " Nothing was changed.";
        db.ProvisioningEvents.Add(ScimAdministration.Audit(ws.Id, actor, ActorKind.WorkspaceAdmin, ProvisioningOperation.ConnectionTested,
            report.Passed ? EventOutcome.Success : EventOutcome.Failure, summary.Length > 4000 ? summary[..4000] : summary, now));
        await db.SaveChangesAsync(ct);
        return report;
    }

    /// <summary>Why SCIM answers 403, from the workspace's own state (who disabled it and when).</summary>
    private static string ForbiddenCause(bool ssoActive, bool scimEnabled, string? changedBy, DateTime? changedAt, string? reason, string? csm)
    {
        if (!ssoActive)
        {
            return "SCIM answers 403 because single sign-on is not active for this workspace: provisioned members sign in through your identity provider. " +
                "Activate SSO (Security › Authentication › Single Sign On), then test again.";
        }

        if (!scimEnabled)
        {
            var who = changedBy is null ? "" : " by " + changedBy;
            var when = changedAt is { } at ? at.ToString(" 'at' yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "";
            var why = string.IsNullOrWhiteSpace(reason) ? "" : ": " + reason;
            return $"SCIM answers 403 because SCIM provisioning is disabled for this workspace (disabled{who}{when}{why}). " +
                $"Your Customer Success Manager{(csm is null ? "" : " (" + csm + ")")} enables it; until then Microsoft Entra ID's and Okta's tests fail.";
        }

        return "SCIM answered 403: this token may not act for the workspace on this host.";
    }

    /// <summary>
    /// The probes of Entra's and Okta's test buttons, in their order. Each user and group probe uses a new random
    /// GUID, so it matches nothing.
    /// </summary>
    private static List<ProbeSpec> Specs()
    {
        var userGuid = Guid.NewGuid();
        var groupGuid = Guid.NewGuid();
        return
        [
            new("Find a user that does not exist (Entra's Test Connection)", ProbeIdp.EntraId,
                $"/Users?filter=userName eq \"{userGuid}\"", EmptyList),
            new("Find a group that does not exist, without members (Entra)", ProbeIdp.EntraId,
                $"/Groups?excludedAttributes=members&filter=displayName eq \"{groupGuid}\"", EmptyList),
            new("Service provider configuration", ProbeIdp.EntraId | ProbeIdp.Okta, "/ServiceProviderConfig", ServiceProviderConfig),
            new("Schemas (Entra reads them when the configuration is saved)", ProbeIdp.EntraId, "/Schemas", Schemas),
            new("First page of two users (Okta's Test Connector Configuration)", ProbeIdp.Okta, "/Users?startIndex=1&count=2", body => Page(body, 2)),
            new("First page of groups (Okta)", ProbeIdp.Okta, "/Groups?startIndex=1&count=100", body => Page(body, 100)),
        ];
    }

    /// <summary>
    /// An HTTP client whose every connection goes to this app's own listening socket, whatever the URL says (see the
    /// class summary): no redirects, no cookies, no proxy.
    /// </summary>
    private static HttpClient Dialler(Uri endpoint)
    {
        var loopback = new IPEndPoint(IPAddress.Parse(endpoint.Host.Trim('[', ']')), endpoint.Port);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(loopback.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(loopback, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(20) };
    }

    private async Task<List<ConnectionProbe>> ProbeAsync(HttpClient client, Uri origin, string publicHost, string token, CancellationToken ct)
    {
        var results = new List<ConnectionProbe>();
        foreach (var spec in Specs())
        {
            results.Add(await GetProbeAsync(client, origin, publicHost, spec, token, "Bearer " + ScimCredentials.Prefix + Redacted, forwardedHttps: false, ct));
        }

        return results;
    }

    /// <summary>One SCIM GET with <paramref name="bearer"/>; <paramref name="shownAuthorization"/> is what the report shows instead.</summary>
    private async Task<ConnectionProbe> GetProbeAsync(
        HttpClient client, Uri origin, string publicHost, ProbeSpec spec, string bearer, string shownAuthorization, bool forwardedHttps, CancellationToken ct)
    {
        var target = ScimConstants.BasePath + spec.Target;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(origin, EscapeQuery(target)));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Headers.Accept.ParseAdd(ScimConstants.MediaType);
        var shownHeaders = Prepare(request, publicHost, forwardedHttps, $"Authorization: {shownAuthorization}", $"Accept: {ScimConstants.MediaType}");
        try
        {
            using var response = await client.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            var contentType = response.Content.Headers.ContentType?.MediaType;
            var json = TryParse(text);
            var status = (int)response.StatusCode;
            var problem = status != StatusCodes.Status200OK ? StatusProblem(status, json)
                : contentType is not (ScimConstants.MediaType or "application/json") ? $"The answer is {contentType ?? "untyped"}, not application/scim+json."
                : spec.Check(json);
            return new(spec.Name, spec.Idps, "GET", target, shownHeaders, status, contentType, Shown(json, text), problem is null,
                problem ?? "Answered as the identity provider expects.");
        }
        catch (HttpRequestException e)
        {
            return new(spec.Name, spec.Idps, "GET", target, shownHeaders, null, null, null, false, "No answer from the SCIM endpoint: " + e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(spec.Name, spec.Idps, "GET", target, shownHeaders, null, null, null, false,
                "The SCIM endpoint did not answer within 20 seconds (identity providers time out too).");
        }
    }

    /// <summary>
    /// The common headers of every probe (User-Agent, the marker) and the list shown in the report (never the marker).
    /// When the workspace's public URL is https but the test dials the app's plain-HTTP listener, OAuth probes say
    /// X-Forwarded-Proto: https, as the TLS-terminating proxy in front of the app does for the IdP: the authorization
    /// server then sees the scheme Entra uses (OAuth:RequireHttps, the metadata's URLs). ASP.NET trusts that header from
    /// loopback only when ForwardedHeaders:KnownProxies / KnownNetworks are unset or include loopback.
    /// </summary>
    private string[] Prepare(HttpRequestMessage request, string publicHost, bool forwardedHttps, params string[] shown)
    {
        // The public URL's host and port, as the identity provider sends them (not the listener's port dialled).
        request.Headers.Host = publicHost;
        request.Headers.UserAgent.ParseAdd(UserAgent);
        request.Headers.Add(ConnectionTestMarker.HeaderName, marker.Value);
        if (forwardedHttps)
        {
            request.Headers.Add("X-Forwarded-Proto", "https");
        }

        return [$"Host: {publicHost}", .. shown, $"User-Agent: {UserAgent}", .. forwardedHttps ? new[] { "X-Forwarded-Proto: https" } : []];
    }

    /// <summary>
    /// Entra's OAuth 2.0 client-credentials connection, step by step: (1) the RFC 8414 metadata names the token endpoint
    /// the SCIM page tells the admin to enter, the client_credentials grant and client_secret_basic; (2) the token request
    /// exactly as Entra sends it; (3) Entra's user probe with the access token obtained.
    /// Entra's form can send the credentials in the header (client_secret_basic), the body (client_secret_post) or both;
    /// the test sends the header, the method RFC 6749 §2.3.1 requires every server to support and the first of Entra's
    /// options, with no scope (Entra's Scope field is empty unless the admin fills it; the page says "empty or scim").
    /// What is written: nothing in the provisioning log or the client's last use (the token endpoint records neither,
    /// and the marked SCIM probe is left out by ScimRequestRecorder); OpenIddict keeps its usual entry for the access
    /// token issued, which expires with the token and is deleted by OAuthPruning like every other. The token request
    /// counts against the token endpoint's rate limit in the test's own bucket (OAuthTokenRateLimit), never in the IdP's.
    /// </summary>
    private async Task<List<ConnectionProbe>> OAuthProbesAsync(
        HttpClient client, Uri origin, Uri publicUrl, string clientId, string secret, CancellationToken ct)
    {
        var expectedEndpoint = new Uri(publicUrl, OAuthServerSetup.TokenPath).ToString();
        var forwardedHttps = publicUrl.Scheme == Uri.UriSchemeHttps && origin.Scheme == Uri.UriSchemeHttp;
        var results = new List<ConnectionProbe> { await MetadataProbeAsync(client, origin, publicUrl.Authority, expectedEndpoint, forwardedHttps, ct) };
        var (exchange, accessToken) = await TokenProbeAsync(client, origin, publicUrl.Authority, clientId, secret, forwardedHttps, ct);
        results.Add(exchange);
        if (accessToken is not null)
        {
            var spec = new ProbeSpec("Find a user that does not exist, with the access token (Entra's Test Connection with OAuth)", ProbeIdp.EntraIdOAuth,
                $"/Users?filter=userName eq \"{Guid.NewGuid()}\"", EmptyList);
            results.Add(await GetProbeAsync(client, origin, publicUrl.Authority, spec, accessToken, "Bearer " + Redacted + " (the access token obtained above)", forwardedHttps, ct));
        }

        // Defence in depth: whatever an answer echoed, neither credential is shown.
        return [.. results.Select(p => p with
        {
            Body = Scrub(p.Body, secret, accessToken),
            Explanation = Scrub(p.Explanation, secret, accessToken)!,
        })];
    }

    private static string? Scrub(string? text, string secret, string? accessToken)
    {
        if (text is null)
        {
            return null;
        }

        if (secret.Length >= 8)
        {
            text = text.Replace(secret, Redacted, StringComparison.Ordinal);
        }

        return accessToken is { Length: >= 8 } ? text.Replace(accessToken, Redacted, StringComparison.Ordinal) : text;
    }

    private const string MetadataPath = "/.well-known/oauth-authorization-server";

    private async Task<ConnectionProbe> MetadataProbeAsync(HttpClient client, Uri origin, string publicHost, string expectedEndpoint, bool forwardedHttps, CancellationToken ct)
    {
        const string name = "OAuth authorization server metadata (RFC 8414)";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(origin, MetadataPath));
        request.Headers.Accept.ParseAdd("application/json");
        var shown = Prepare(request, publicHost, forwardedHttps, "Accept: application/json");
        var (answer, noAnswer) = await SendAsync(client, request, "authorization server", ct);
        if (answer is null)
        {
            return new(name, ProbeIdp.EntraIdOAuth, "GET", MetadataPath, shown, null, null, null, false, noAnswer!);
        }

        string? problem;
        string explanation;
        if (answer.Status != StatusCodes.Status200OK || answer.Json is not JsonObject metadata)
        {
            problem = $"Answered {answer.Status} without the metadata document." + Said(answer.Json);
            explanation = problem;
        }
        else
        {
            var endpoint = metadata["token_endpoint"]?.GetValueKind() == JsonValueKind.String ? (string?)metadata["token_endpoint"] : null;
            var methods = Strings(metadata["token_endpoint_auth_methods_supported"]);
            problem = endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var named) ? "The metadata names no token endpoint."
                : named.AbsolutePath != OAuthServerSetup.TokenPath ? $"The metadata names the token endpoint {endpoint}, not {expectedEndpoint} that this page gives for Entra's OAuth token endpoint."
                : !Strings(metadata["grant_types_supported"]).Contains("client_credentials") ? "The metadata does not list the client_credentials grant Entra uses."
                : !methods.Contains("client_secret_basic") ? "The metadata does not list client_secret_basic (the client secret in the Authorization header)."
                : null;
            explanation = problem ?? (endpoint == expectedEndpoint
                ? $"Names the token endpoint {expectedEndpoint} (the one to enter as Entra's OAuth token endpoint), the client_credentials grant and {string.Join(" and ", methods.Where(m => m.StartsWith("client_secret_", StringComparison.Ordinal)))}."
                : $"Names the token endpoint {endpoint} (the configured OAuth issuer); Entra does not read the metadata, it uses {expectedEndpoint} as entered from this page, which the exchange below uses.");
        }

        return new(name, ProbeIdp.EntraIdOAuth, "GET", MetadataPath, shown, answer.Status, answer.ContentType, Shown(answer.Json, answer.Text), problem is null, explanation);
    }

    private async Task<(ConnectionProbe Probe, string? AccessToken)> TokenProbeAsync(
        HttpClient client, Uri origin, string publicHost, string clientId, string secret, bool forwardedHttps, CancellationToken ct)
    {
        const string name = "Token exchange: client credentials, secret in the Authorization header (Entra)";
        const string form = "grant_type=client_credentials";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(origin, OAuthServerSetup.TokenPath))
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        // RFC 6749 §2.3.1: id and secret are form-encoded before base64.
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        request.Headers.Accept.ParseAdd("application/json");
        var shown = Prepare(request, publicHost, forwardedHttps,
            $"Authorization: Basic {Redacted}: client ID {clientId} and the client secret you entered", "Content-Type: application/x-www-form-urlencoded", "Accept: application/json");
        var (answer, noAnswer) = await SendAsync(client, request, "token endpoint", ct);
        if (answer is null)
        {
            return (new(name, ProbeIdp.EntraIdOAuth, "POST", OAuthServerSetup.TokenPath, shown, null, null, null, false, noAnswer!, form), null);
        }

        var body = answer.Json as JsonObject;
        var accessToken = body?["access_token"]?.GetValueKind() == JsonValueKind.String ? (string?)body["access_token"] : null;
        var tokenType = body?["token_type"]?.GetValueKind() == JsonValueKind.String ? (string?)body["token_type"] : null;
        var problem = answer.Status != StatusCodes.Status200OK ? TokenProblem(answer)
            : string.IsNullOrEmpty(accessToken) ? "The token endpoint answered 200 without an access_token."
            : !string.Equals(tokenType, "Bearer", StringComparison.OrdinalIgnoreCase) ? $"The token_type is {tokenType ?? "missing"}, not Bearer."
            : body!["expires_in"] is not JsonValue expires || !expires.TryGetValue<long>(out var seconds) || seconds <= 0 ? "The answer has no positive expires_in."
            : null;
        foreach (var field in new[] { "access_token", "refresh_token", "id_token" })
        {
            if (body?.ContainsKey(field) == true)
            {
                body[field] = Redacted;
            }
        }

        var shownBody = body is null ? (accessToken is null ? answer.Text : null) : Shown(body, answer.Text);
        var explanation = problem ?? string.Create(CultureInfo.InvariantCulture,
            $"Entra gets an access token (Bearer, valid {(int)body!["expires_in"]!} seconds) for client {clientId}: the secret you entered is active.");
        return (new(name, ProbeIdp.EntraIdOAuth, "POST", OAuthServerSetup.TokenPath, shown, answer.Status, answer.ContentType, shownBody, problem is null, explanation, form),
            problem is null ? accessToken : null);
    }

    /// <summary>A refused token request in plain language, with what to do (RFC 6749 §5.2 error codes).</summary>
    private static string TokenProblem(Answer answer)
    {
        var error = answer.Json?["error"]?.GetValueKind() == JsonValueKind.String ? (string?)answer.Json["error"] : null;
        var description = answer.Json?["error_description"]?.GetValueKind() == JsonValueKind.String ? (string?)answer.Json["error_description"] : null;
        return (answer.Status, error) switch
        {
            (429, _) => "Answered 429: the token endpoint's rate limit for connection tests is used up for now" +
                (answer.RetryAfter is { } wait ? $" (retry after {wait} seconds)" : "") +
                ". Test again in a minute. The test has its own allowance: Microsoft Entra ID's own token requests are not held up by it.",
            (_, "invalid_client") => "The client secret was refused (invalid_client): it is wrong, expired or removed. " +
                "Paste the current one into Entra's Client Secret (the secrets listed above end with the characters shown; add a secret if none is active), and enter the same value here.",
            (_, "unauthorized_client") => "The client may not use the client credentials grant (unauthorized_client). Revoke the client and create it again on this page.",
            (_, "unsupported_grant_type") => "The token endpoint does not accept the client credentials grant (unsupported_grant_type).",
            (_, "invalid_scope") => "The scope was refused (invalid_scope): leave Entra's Scope empty or set it to scim.",
            ( >= 500, _) => $"The token endpoint answered {answer.Status}: a server error. Entra's test fails too.",
            _ => $"The token endpoint answered {answer.Status}{(error is null ? "" : " " + error)}{(description is null ? "" : ": " + description)}, not an access token.",
        };
    }

    private sealed record Answer(int Status, string? ContentType, JsonNode? Json, string Text, string? RetryAfter);

    private static async Task<(Answer? Answer, string? NoAnswer)> SendAsync(HttpClient client, HttpRequestMessage request, string what, CancellationToken ct)
    {
        try
        {
            using var response = await client.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return (new((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, TryParse(text), text,
                response.Headers.RetryAfter?.Delta is { } delta ? ((int)delta.TotalSeconds).ToString(CultureInfo.InvariantCulture) : null), null);
        }
        catch (HttpRequestException e)
        {
            return (null, $"No answer from the {what}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"The {what} did not answer within 20 seconds (identity providers time out too).");
        }
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? [.. array.Where(n => n?.GetValueKind() == JsonValueKind.String).Select(n => (string)n!)] : [];

    private static string Said(JsonNode? json) =>
        json?["error_description"]?.GetValueKind() == JsonValueKind.String ? $" The server said: \"{(string?)json["error_description"]}\"" : "";

    /// <summary>The audit row's sentence on the OAuth part (never a credential).</summary>
    private static string OAuthSummary(ConnectionTestReport report) => report.OAuth switch
    {
        OAuthTestScope.NoClient => "",
        OAuthTestScope.SecretNotEntered => $" OAuth client {report.OAuthClientId}: token exchange not tested (no client secret entered).",
        _ when report.EntraOAuthWillPass => $" OAuth client {report.OAuthClientId}: token exchange included and passed; Entra's OAuth connection will pass.",
        _ => $" OAuth client {report.OAuthClientId}: token exchange included and failed"
            + (report.Probes.FirstOrDefault(p => p.Idps.HasFlag(ProbeIdp.EntraIdOAuth) && !p.Passed) is { } failed
                ? $" at \"{failed.Name}\"" + (failed.Explanation == report.Cause ? "." : $": {failed.Explanation}")
                : ".")
            + (report.Probes.Any(p => p.Idps.HasFlag(ProbeIdp.EntraIdOAuth) && p.Method == "GET" && p.Target.StartsWith(ScimConstants.BasePath, StringComparison.Ordinal)) ? "" : " The SCIM probe with an access token was not run."),
    };

    /// <summary>The app's own listening address as loopback (a wildcard bind is reached on loopback); http preferred.</summary>
    private Uri? OwnEndpoint()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var candidates = new List<Uri>();
        foreach (var address in addresses)
        {
            // Kestrel reports wildcard binds as http://[::]:80, http://0.0.0.0:80, http://+:80 or http://*:80.
            var normalised = address.Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal);
            if (!Uri.TryCreate(normalised, UriKind.Absolute, out var uri) || uri.Port <= 0)
            {
                continue;
            }

            var host = uri.Host.Trim('[', ']');
            string? loopback = host is "0.0.0.0" or "localhost" ? "127.0.0.1"
                : host is "::" ? "[::1]"
                : IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip) ? uri.Host
                : null;
            if (loopback is not null)
            {
                candidates.Add(new UriBuilder(uri.Scheme, loopback, uri.Port).Uri);
            }
        }

        return candidates.OrderBy(u => u.Scheme == Uri.UriSchemeHttp ? 0 : 1).FirstOrDefault();
    }

    private static string EscapeQuery(string target)
    {
        var q = target.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return target;
        }

        var pairs = target[(q + 1)..].Split('&').Select(p =>
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            return eq < 0 ? Uri.EscapeDataString(p) : p[..eq] + "=" + Uri.EscapeDataString(p[(eq + 1)..]);
        });
        return target[..q] + "?" + string.Join('&', pairs);
    }

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Relaxed escaping: the text is shown on the page (HTML-encoded by Blazor), and "•" should read as itself.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string? Shown(JsonNode? json, string text)
    {
        var shown = json is null ? text : json.ToJsonString(Indented);
        return shown.Length == 0 ? null : shown.Length > MaxShownBody ? shown[..MaxShownBody] + "\n…" : shown;
    }

    private static string StatusProblem(int status, JsonNode? json)
    {
        var detail = json?["detail"]?.GetValueKind() == JsonValueKind.String ? (string?)json["detail"] : null;
        var said = detail is null ? "" : $" The endpoint said: \"{detail}\"";
        return status switch
        {
            401 => "Refused with 401: the workspace's current token was not accepted on its own host." + said,
            403 => "Refused with 403: SCIM is not available for this workspace." + said,
            404 => "Answered 404: the identity provider expects 200 with an empty list, never 404." + said,
            429 => "Answered 429: the workspace's SCIM rate limit is exhausted; wait a few seconds and test again." + said,
            >= 500 => $"Answered {status}: a server error. The identity provider's test fails too." + said,
            _ => $"Answered {status} instead of 200." + said,
        };
    }

    private static string? ListShape(JsonNode? body)
    {
        if (body is not JsonObject o)
        {
            return "The answer is not a JSON object.";
        }

        if (o["schemas"] is not JsonArray schemas || !schemas.Any(s => s?.GetValueKind() == JsonValueKind.String && (string?)s == ScimConstants.ListResponseSchema))
        {
            return "The answer's schemas do not name the ListResponse schema.";
        }

        foreach (var name in new[] { "totalResults", "startIndex", "itemsPerPage" })
        {
            if (o[name] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<int>(out _))
            {
                return $"The answer's {name} is not an integer.";
            }
        }

        return o["Resources"] is null or JsonArray ? null : "The answer's Resources is not an array.";
    }

    private static string? EmptyList(JsonNode? body) =>
        ListShape(body) ?? ((int)body!["totalResults"]! != 0 || body["Resources"] is JsonArray { Count: > 0 }
            ? "A filter on a random GUID matched something: the identity provider expects an empty list."
            : null);

    private static string? Page(JsonNode? body, int count) =>
        ListShape(body) ?? ((int)body!["startIndex"]! != 1 ? "startIndex is not 1 for the first page."
            : body["Resources"] is JsonArray { Count: var n } && n > count ? $"More than {count} resources for count={count}."
            : null);

    private static string? ServiceProviderConfig(JsonNode? body) =>
        body?["schemas"] is JsonArray schemas && schemas.Any(s => (string?)s == ScimConstants.ServiceProviderConfigSchema)
            ? body["patch"]?["supported"]?.GetValueKind() == JsonValueKind.True ? null : "The configuration does not say PATCH is supported."
            : "The answer is not a ServiceProviderConfig.";

    private static string? Schemas(JsonNode? body) =>
        ListShape(body) ?? (body!["Resources"] is JsonArray resources && resources.Any(r => (string?)r?["id"] == ScimConstants.UserSchema)
            ? null
            : "The schemas do not include the core User schema.");
}
