using System.Text;

using IdeaScale.Portal.Workspaces;

using Microsoft.AspNetCore.Authorization;

namespace IdeaScale.Portal.Components.Pages.ManageWorkspace;

/// <summary>
/// GET /workspaces/{slug}/manage/provisioning-log/export.csv: the filtered provisioning log as CSV (written by
/// <see cref="Workspaces.ProvisioningLog.WriteCsvAsync"/>: header row, formula-injection safe cells), streamed from the
/// database row by row. Anonymous requests are sent to sign-in; an account that may not read this workspace's log
/// gets 404 and learns nothing about the workspace.
/// </summary>
public static class ProvisioningLogExport
{
    public static IEndpointConventionBuilder MapProvisioningLogExport(this IEndpointRouteBuilder app) =>
        app.MapGet("/workspaces/{slug}/manage/provisioning-log/export.csv", ExportAsync)
            .RequireAuthorization()
            .WithName("ExportProvisioningLog");

    private static async Task<IResult> ExportAsync(
        string slug, HttpContext http, IAuthorizationService authorization, Workspaces.ProvisioningLog log, TimeProvider time)
    {
        // The WorkspaceLogReader policy (admins, the assigned CSM, leads), evaluated on the server against this route's slug, before anything is written.
        if (!(await authorization.AuthorizeAsync(http.User, slug, Policies.WorkspaceLogReader)).Succeeded)
        {
            return TypedResults.NotFound();
        }

        var query = ProvisioningLogFilter.FromQuery(http.Request.Query).ToQuery(slug);
        var fileName = $"provisioning-log-{slug}-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv";
        return Results.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024);
            await log.WriteCsvAsync(http.User, query, writer, http.RequestAborted);
        }, "text/csv; charset=utf-8", fileName);
    }
}
