using IdeaScale.Portal.Observability;
using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Tenancy;
using IdeaScale.Portal.Workspaces.ConnectionTest;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// Outermost step of the SCIM pipeline: after the response is decided (including SCIM error bodies and
/// authentication failures) it records one <see cref="ProvisioningEvent"/> through <see cref="ProvisioningLogWriter"/>
/// and the token's last use through <see cref="ScimCredentialUsage"/>; neither writes to the database on the
/// request path. The path is recorded without its query string, so nothing sent in a URL is stored. Requests that
/// failed authentication are recorded with the client "unauthenticated" and capped per workspace
/// (<see cref="UnauthenticatedRequestLog"/>).
/// Scim:ProvisioningLog:Enabled and Scim:LastUse:Enabled (both on by default) switch either off, for the benchmark's
/// overhead figure. When something listens to <see cref="ScimMetrics"/>, the same operation, status and scimType
/// (and the measured duration) are recorded there too.
/// </summary>
public sealed class ScimRequestRecorder(
    RequestDelegate next,
    ProvisioningLogWriter writer,
    ScimCredentialUsage usage,
    UnauthenticatedRequestLog unauthenticated,
    ScimMetrics metrics,
    ConnectionTestMarker connectionTest,
    TimeProvider time,
    IOptions<ScimAccessOptions> options)
{
    private readonly bool logEnabled = options.Value.ProvisioningLog.Enabled;
    private readonly bool lastUseEnabled = options.Value.LastUse.Enabled;

    private static readonly string[] DiscoveryEndpoints = ["ServiceProviderConfig", "Schemas", "ResourceTypes"];

    public async Task InvokeAsync(HttpContext context, ScimTenant tenant, ScimRequestLog log)
    {
        var measured = metrics.RequestsObserved;
        // The portal's own "Test connection" probes are not the IdP calling: audited once as ConnectionTested instead.
        if ((!logEnabled && !lastUseEnabled && !measured) || connectionTest.IsProbe(context.Request))
        {
            await next(context);
            return;
        }

        var started = time.GetTimestamp();
        var at = time.GetUtcNow().UtcDateTime;
        var failed = true;
        try
        {
            await next(context);
            failed = false;
        }
        finally
        {
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            await RecordAsync(context, tenant, log, at, time.GetElapsedTime(started), status, measured);
        }
    }

    private async Task RecordAsync(HttpContext context, ScimTenant tenant, ScimRequestLog log, DateTime at, TimeSpan elapsed, int status, bool measured)
    {
        var request = context.Request;

        // Only an authenticated request names its client; anyone can write any User-Agent.
        var client = !tenant.IsResolved ? ScimClients.Unauthenticated : tenant.Client.Length > 0 ? tenant.Client : null;
        var ip = context.Connection.RemoteIpAddress?.ToString();
        if (lastUseEnabled && tenant.IsResolved && tenant.CredentialId != Guid.Empty)
        {
            usage.Record(tenant.CredentialId, at, ip, client, status);
        }

        if (!logEnabled && !measured)
        {
            return;
        }

        var (resourceType, resourceId, inferred) = Infer(request.Method, request.Path, status);
        var operation = status == StatusCodes.Status401Unauthorized ? ProvisioningOperation.AuthenticationFailure : log.Operation ?? inferred;
        var error = ScimErrorHandling.WrittenError(context);
        if (measured)
        {
            metrics.RecordRequest(tenant.IsResolved ? tenant.Slug : null, operation, status, error?.ScimType, elapsed);
        }

        if (!logEnabled)
        {
            return;
        }

        var workspaceId = tenant.IsResolved ? tenant.WorkspaceId : await HostWorkspaceAsync(context.RequestServices.GetRequiredService<PortalDbContext>(), request.Host.Host);

        // Unauthenticated: recorded one by one only within the per-workspace allowance and the per-IP limit (429),
        // otherwise counted into one summary row (UnauthenticatedRequestLog). The metrics above still count them all.
        if (!tenant.IsResolved && !await unauthenticated.AdmitAsync(workspaceId, at, status == StatusCodes.Status429TooManyRequests))
        {
            return;
        }

        await writer.EnqueueAsync(new ProvisioningEvent
        {
            WorkspaceId = workspaceId,
            OccurredAt = at,
            ActorKind = ActorKind.IdentityProvider,
            Actor = Truncate(client ?? "unknown client", 256)!,
            Operation = operation,
            Outcome = status < 400 ? EventOutcome.Success : EventOutcome.Failure,
            Method = request.Method,
            Path = Truncate((request.PathBase + request.Path).ToString(), 1000),
            ResourceType = log.ResourceType ?? resourceType,
            ResourceId = Truncate(log.ResourceId ?? resourceId, 64),
            StatusCode = status,
            DurationMs = (int)elapsed.TotalMilliseconds,
            ClientIp = Truncate(ip, 64),
            Summary = Truncate(log.Summary ?? error?.Detail, 4000),
            Subject = Truncate(log.Subject, 256),
            Details = Truncate(Details(context, log, status, error?.ScimType)?.Serialize(), 16000),
        });
    }

    /// <summary>
    /// The row's structured story: the handler's changes on success; on failure the facts its explanation is built
    /// from (the scimType, a 429's Retry-After, the unique value that collided), all known now, none read later.
    /// </summary>
    private static ProvisioningDetails? Details(HttpContext context, ScimRequestLog log, int status, string? scimType)
    {
        if (status < 400)
        {
            return log.Details is { } d ? d with { ConflictAttribute = null, ConflictValue = null } : null;
        }

        var retryAfter = status == StatusCodes.Status429TooManyRequests
            && int.TryParse(context.Response.Headers.RetryAfter.ToString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? seconds : (int?)null;
        var conflict = status == StatusCodes.Status409Conflict ? log.Details : null;
        return new ProvisioningDetails
        {
            ScimType = scimType,
            RetryAfterSeconds = retryAfter,
            ConflictAttribute = conflict?.ConflictAttribute,
            ConflictValue = Truncate(conflict?.ConflictValue, 256),
        };
    }

    /// <summary>
    /// The workspace whose own host received an unauthenticated request, so its admins see the failure (within the
    /// cap of <see cref="UnauthenticatedRequestLog"/>, and always as client "unauthenticated").
    /// </summary>
    private static async Task<Guid?> HostWorkspaceAsync(PortalDbContext db, string host)
    {
        var normalised = Workspace.NormaliseHost(host);
        var owners = await db.Workspaces.AsNoTracking().Where(w => w.Host == normalised).Select(w => w.Id).Take(2).ToListAsync();
        return owners.Count == 1 ? owners[0] : null;
    }

    /// <summary>Resource and operation from the route, for requests whose handler recorded nothing (reads, errors).</summary>
    internal static (string? ResourceType, string? ResourceId, ProvisioningOperation Operation) Infer(string method, PathString path, int status)
    {
        var rest = path.StartsWithSegments(ScimEndpoints.BasePath, StringComparison.OrdinalIgnoreCase, out var remaining) ? remaining.Value ?? "" : "";
        var segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var first = segments.Length > 0 ? segments[0] : "";
        if (DiscoveryEndpoints.Any(d => d.Equals(first, StringComparison.OrdinalIgnoreCase)))
        {
            return (null, null, ProvisioningOperation.Discovery);
        }

        string? type = first.Equals("Users", StringComparison.OrdinalIgnoreCase) ? "User"
            : first.Equals("Groups", StringComparison.OrdinalIgnoreCase) ? "Group" : null;
        var id = segments.Length > 1 && segments[1] != ".search" ? segments[1] : null;
        var search = segments.Length > 0 && segments[^1].Equals(".search", StringComparison.OrdinalIgnoreCase);
        var operation = method.ToUpperInvariant() switch
        {
            _ when status == StatusCodes.Status401Unauthorized => ProvisioningOperation.AuthenticationFailure,
            "GET" or "HEAD" => id is null ? ProvisioningOperation.List : ProvisioningOperation.Read,
            "POST" when search => ProvisioningOperation.List,
            "POST" => ProvisioningOperation.Create,
            "PUT" or "PATCH" => ProvisioningOperation.Update,
            "DELETE" => ProvisioningOperation.Delete,
            _ => ProvisioningOperation.Read,
        };
        return (type, id, operation);
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
