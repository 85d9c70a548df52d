using IdeaScale.Portal.Scim.Auth;
using IdeaScale.Portal.Scim.Discovery;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Groups;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Users;

using Microsoft.AspNetCore.Diagnostics;

namespace IdeaScale.Portal.Scim;

/// <summary>Registers and maps the SCIM 2.0 service provider at /scim/v2.</summary>
public static class ScimEndpoints
{
    public const string BasePath = ScimConstants.BasePath;

    public static WebApplicationBuilder AddScim(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ScimTenant>();
        builder.Services.AddScoped<Logging.ScimRequestLog>();
        builder.Services.AddSingleton<ReadSessions>();
        builder.Services.AddSingleton<UserReader>();
        builder.AddScimAccess();
        return builder;
    }

    /// <summary>
    /// The SCIM branch of the pipeline: the provisioning-log recorder, SCIM error handling (so every failure,
    /// including 404 for an unknown route, is a SCIM body), authentication and gating, limits, then the endpoints
    /// (see <see cref="ScimAccessSetup.UseScimAccess"/>).
    /// </summary>
    public static WebApplication UseScim(this WebApplication app)
    {
        app.UseWhen(IsScimRequest, scim =>
        {
            scim.Use((context, next) =>
            {
                // SCIM answers with SCIM bodies, never the portal's HTML status pages.
                if (context.Features.Get<IStatusCodePagesFeature>() is { } pages)
                {
                    pages.Enabled = false;
                }

                return next(context);
            });
            scim.UseScimAccess();
        });
        return app;
    }

    public static WebApplication MapScim(this WebApplication app)
    {
        var scim = app.MapGroup(BasePath).DisableAntiforgery();
        scim.MapScimUsers();
        scim.MapScimGroups();
        scim.MapScimDiscovery();
        scim.MapPost("/.search", SearchAll);
        // RFC 7644 §3.7 bulk and §3.11 /Me are not supported: 501 with a SCIM error, whatever the method.
        scim.Map("/Bulk", Task (HttpContext _) => throw ScimException.NotImplemented("Bulk operations are not supported (see ServiceProviderConfig.bulk)."));
        scim.Map("/Me", Task (HttpContext _) => throw ScimException.NotImplemented("/Me is not supported: SCIM clients authenticate as the workspace, not as a user."));
        return app;
    }

    /// <summary>
    /// POST /.search at the root (RFC 7644 §3.4.3): users first, then groups, paged over the concatenation.
    /// A filter naming an attribute only one type has matches nothing of the other type.
    /// </summary>
    private static async Task<IResult> SearchAll(HttpContext context, PortalDbContext db, UserReader reader, ScimTenant tenant, IConfiguration configuration)
    {
        var ct = context.RequestAborted;
        var query = ScimRequest.FromSearch(await ScimRequest.ReadAsync<SearchRequest>(context.Request), ScimRequest.MaxResults(configuration));
        var users = await TryQueryAsync(() => UserEndpoints.QueryAsync(query, db, reader, tenant, ct));
        var userTotal = users?.Total ?? 0;
        var groupQuery = query with { StartIndex = Math.Max(1, query.StartIndex - userTotal), Count = query.Count - (users?.Resources.Count ?? 0) };
        var groups = await TryQueryAsync(() => GroupEndpoints.QueryAsync(groupQuery, db, tenant, ct));
        if (users is null && groups is null)
        {
            // Neither type accepts the filter: report the users' error.
            await UserEndpoints.QueryAsync(query, db, reader, tenant, ct);
        }

        var resources = (users?.Resources ?? []).Concat(groups?.Resources ?? []).ToList();
        return ScimResult.Ok(new ListResponse(userTotal + (groups?.Total ?? 0), query.StartIndex, resources.Count, resources));
    }

    private static async Task<(int Total, List<System.Text.Json.Nodes.JsonObject> Resources)?> TryQueryAsync(
        Func<Task<(int Total, List<System.Text.Json.Nodes.JsonObject> Resources)>> query)
    {
        try
        {
            return await query();
        }
        catch (ScimException ex) when (ex.ScimType == ScimErrorType.InvalidFilter)
        {
            return null;
        }
    }

    public static bool IsScimRequest(HttpContext context) => context.Request.Path.StartsWithSegments(BasePath, StringComparison.OrdinalIgnoreCase);
}
