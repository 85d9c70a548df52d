using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Components.Pages.ManageWorkspace;

/// <summary>
/// GET /workspaces/{slug}/manage/provisioning-log/export.csv: the filtered provisioning log as CSV, streamed from
/// the database row by row. Anonymous requests are sent to sign-in; an account that is not an admin of this
/// workspace gets 404 (it learns nothing about the workspace).
/// </summary>
public static class ProvisioningLogExport
{
    public const string Header = "OccurredAtUtc,ActorKind,Actor,Operation,Outcome,Method,Path,ResourceType,ResourceId,StatusCode,DurationMs,ClientIp,Summary";

    public static IEndpointConventionBuilder MapProvisioningLogExport(this IEndpointRouteBuilder app) =>
        app.MapGet("/workspaces/{slug}/manage/provisioning-log/export.csv", ExportAsync)
            .RequireAuthorization()
            .WithName("ExportProvisioningLog");

    private static async Task<IResult> ExportAsync(
        string slug, HttpContext http, IAuthorizationService authorization, IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time)
    {
        // The WorkspaceAdmin policy, evaluated on the server against this route's slug.
        if (!(await authorization.AuthorizeAsync(http.User, slug, Policies.WorkspaceAdmin)).Succeeded)
        {
            return TypedResults.NotFound();
        }

        await using var lookup = await dbFactory.CreateDbContextAsync(http.RequestAborted);
        var workspaceId = await lookup.Workspaces.Where(w => w.Slug == slug).Select(w => (Guid?)w.Id).SingleOrDefaultAsync(http.RequestAborted);
        if (workspaceId is not { } id)
        {
            return TypedResults.NotFound();
        }

        var filter = ProvisioningLogFilter.FromQuery(http.Request.Query);
        var fileName = $"provisioning-log-{slug}-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv";
        return Results.Stream(async body =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024);
            await WriteCsvAsync(filter.Apply(db, id).AsAsyncEnumerable(), writer, http.RequestAborted);
        }, "text/csv; charset=utf-8", fileName);
    }

    /// <summary>RFC 4180 CSV: header row, CRLF line ends, quoted fields where needed, formula-injection safe.</summary>
    public static async Task WriteCsvAsync(IAsyncEnumerable<ProvisioningEvent> events, TextWriter writer, CancellationToken ct)
    {
        await writer.WriteAsync(Header + "\r\n");
        var rows = 0;
        await foreach (var e in events.WithCancellation(ct))
        {
            string?[] fields =
            [
                e.OccurredAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), e.ActorKind.ToString(), e.Actor,
                e.Operation.ToString(), e.Outcome.ToString(), e.Method, e.Path, e.ResourceType, e.ResourceId,
                e.StatusCode?.ToString(CultureInfo.InvariantCulture), e.DurationMs?.ToString(CultureInfo.InvariantCulture), e.ClientIp, e.Summary,
            ];
            await writer.WriteAsync(string.Join(',', fields.Select(Cell)) + "\r\n");
            if (++rows % 500 == 0)
            {
                await writer.FlushAsync(ct);
            }
        }
    }

    /// <summary>One CSV cell. A leading = + - @ (or tab/CR) would run as a formula in spreadsheet apps: prefix a quote.</summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
