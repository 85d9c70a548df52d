using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;

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
/// the Host header, so the workspace binding applies exactly as for the IdP.
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

    /// <summary>
    /// Runs the probes for the workspace <paramref name="slug"/>; admins of that workspace only (anyone else:
    /// <see cref="UnauthorizedAccessException"/>, and the refused attempt is audited).
    /// </summary>
    public async Task<ConnectionTestReport> RunAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
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
        ConnectionTestReport report;
        if (credential is null)
        {
            report = new(now, baseUrl, [], "This workspace has no SCIM token yet: regenerate one, then test again.");
        }
        else if (OwnEndpoint() is not { } endpoint)
        {
            report = new(now, baseUrl, [], "The connection test needs the app's own HTTP listener, and none is bound on this instance.");
        }
        else
        {
            var token = new ScimCredentials(db, protection, time).Reveal(credential);
            var probes = await ProbeAsync(endpoint, new Uri(ws.PublicUrl).Host, token, ct);
            var cause = probes.All(p => p.Passed) ? null
                : probes.FirstOrDefault(p => p.Status == StatusCodes.Status403Forbidden) is not null
                    ? ForbiddenCause(ws.SsoActive, ws.ScimEnabled, ws.ChangedBy, ws.ChangedAt, ws.DisabledReason, ws.CsmName)
                    : probes.First(p => !p.Passed).Explanation;
            report = new(now, baseUrl, probes, cause);
        }

        var passed = report.Probes.Count(p => p.Passed);
        var summary = report.Passed
            ? string.Create(CultureInfo.InvariantCulture, $"Connection test passed: all {passed} probes answered as Microsoft Entra ID and Okta expect. Nothing was changed.")
            : string.Create(CultureInfo.InvariantCulture, $"Connection test failed ({passed} of {report.Probes.Count} probes passed): {report.Cause} Nothing was changed.");
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

    private async Task<List<ConnectionProbe>> ProbeAsync(Uri endpoint, string publicHost, string token, CancellationToken ct)
    {
        var loopback = new IPEndPoint(IPAddress.Parse(endpoint.Host.Trim('[', ']')), endpoint.Port);
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            // Whatever the URL says, the connection goes to this app's own listening socket (see the class summary).
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
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        var origin = new UriBuilder(endpoint.Scheme, publicHost, endpoint.Port).Uri;
        var results = new List<ConnectionProbe>();
        foreach (var spec in Specs())
        {
            var target = ScimConstants.BasePath + spec.Target;
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(origin, EscapeQuery(target)));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.ParseAdd(ScimConstants.MediaType);
            request.Headers.UserAgent.ParseAdd(UserAgent);
            request.Headers.Add(ConnectionTestMarker.HeaderName, marker.Value);
            string[] shownHeaders = [$"Host: {publicHost}", "Authorization: Bearer " + ScimCredentials.Prefix + "•••••• (redacted)", $"Accept: {ScimConstants.MediaType}", $"User-Agent: {UserAgent}"];
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
                results.Add(new(spec.Name, spec.Idps, "GET", target, shownHeaders, status, contentType, Shown(json, text), problem is null,
                    problem ?? "Answered as the identity provider expects."));
            }
            catch (HttpRequestException e)
            {
                results.Add(new(spec.Name, spec.Idps, "GET", target, shownHeaders, null, null, null, false,
                    "No answer from the SCIM endpoint: " + e.Message));
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                results.Add(new(spec.Name, spec.Idps, "GET", target, shownHeaders, null, null, null, false,
                    "The SCIM endpoint did not answer within 20 seconds (identity providers time out too)."));
            }
        }

        return results;
    }

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

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

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
