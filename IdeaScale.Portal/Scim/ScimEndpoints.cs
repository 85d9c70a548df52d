using IdeaScale.Portal.Scim.Discovery;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Groups;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Resources;
using IdeaScale.Portal.Scim.Tenancy;
using IdeaScale.Portal.Scim.Users;

using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim;

/// <summary>Registers and maps the SCIM 2.0 service provider at /scim/v2.</summary>
public static class ScimEndpoints
{
    public const string BasePath = ScimConstants.BasePath;

    public static WebApplicationBuilder AddScim(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ScimTenant>();
        builder.Services.AddScoped<Logging.ScimRequestLog>();
        builder.Services.AddSingleton<UserReader>();
        builder.Services.AddSingleton<UserWriter>();
        builder.Services.AddSingleton<GroupReader>();
        builder.Services.AddSingleton<GroupMembershipWriter>();
        builder.Services.AddScoped<IResourceStore<WorkspaceMember, UserRows>, UserResource>();
        builder.Services.AddScoped<IResourceStore<WorkspaceGroup, GroupReader.Read?>, GroupResource>();
        builder.Services.AddSingleton<Paging.ScimCursors>();
        builder.Services.AddSingleton<Paging.IndexPaging>();
        builder.AddScimAccess();
        builder.AddScimBodiesForRejectedRequests();
        return builder;
    }

    /// <summary>
    /// The SCIM branch of the pipeline, taken right after routing chose the endpoint and before any of the portal's
    /// middleware (status-code pages, cookie authentication, authorization, antiforgery), none of which applies to
    /// an IdP: the provisioning-log recorder, SCIM error handling (so every failure, including 404 for an unknown
    /// route, is a SCIM body), authentication and gating, limits (see <see cref="ScimAccessSetup.UseScimAccess"/>),
    /// then the endpoint. Program.cs places the portal's authentication after this branch, so it never runs for SCIM.
    /// </summary>
    public static WebApplication UseScim(this WebApplication app)
    {
        app.MapWhen(IsScimRequest, scim => scim.UseScimAccess().Run(ExecuteEndpoint));
        return app;
    }

    /// <summary>Runs the endpoint routing chose (a 405 for a known path with another method is one); none is a 404.</summary>
    private static Task ExecuteEndpoint(HttpContext context)
    {
        if (context.GetEndpoint()?.RequestDelegate is { } endpoint)
        {
            return endpoint(context);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    public static WebApplication MapScim(this WebApplication app)
    {
        var scim = app.MapGroup(BasePath).DisableAntiforgery().AddEndpointFilterFactory(OneConnectionPerRequest);
        scim.MapScimResource<WorkspaceMember, UserRows>("/Users");
        scim.MapScimResource<WorkspaceGroup, GroupReader.Read?>("/Groups");
        scim.MapScimDiscovery();
        scim.MapPost("/.search", SearchAll);
        // RFC 7644 §3.7 bulk and §3.11 /Me are not supported: 501 with a SCIM error, whatever the method.
        scim.Map("/Bulk", Task (HttpContext _) => throw ScimException.NotImplemented("Bulk operations are not supported (see ServiceProviderConfig.bulk)."));
        scim.Map("/Me", Task (HttpContext _) => throw ScimException.NotImplemented("/Me is not supported: SCIM clients authenticate as the workspace, not as a user."));
        return app;
    }

    /// <summary>
    /// POST /.search at the root (RFC 7644 §3.4.3): users first, then groups, paged over the concatenation.
    /// A filter naming an attribute only one type has matches nothing of the other type. An attributes or
    /// excludedAttributes entry must name an attribute of some type; each type applies the entries it has.
    /// </summary>
    private static async Task<IResult> SearchAll(
        HttpContext context, IResourceStore<WorkspaceMember, UserRows> userStore, IResourceStore<WorkspaceGroup, GroupReader.Read?> groupStore,
        Paging.IndexPaging paging, Paging.ScimCursors cursors, ScimTenant tenant, IConfiguration configuration)
    {
        var ct = context.RequestAborted;
        var search = ScimRequest.FromSearch(await ScimRequest.ReadAsync<SearchRequest>(context.Request), ScimRequest.MaxResults(configuration));
        if (search.Cursor is not null)
        {
            throw ScimException.InvalidValue("Cursor paging is offered on /Users, /Groups and their /.search, not on the root /.search.");
        }

        AttributeSelection.CheckKnownToAny(Schema.ScimRegistry.ResourceTypes, AttributeSelection.AttributesParameter, search.Attributes);
        AttributeSelection.CheckKnownToAny(Schema.ScimRegistry.ResourceTypes, AttributeSelection.ExcludedAttributesParameter, search.ExcludedAttributes);
        ListQuery For(Schema.ScimResourceType type) => search with
        {
            Attributes = AttributeSelection.KnownTo(type, search.Attributes),
            ExcludedAttributes = AttributeSelection.KnownTo(type, search.ExcludedAttributes),
        };

        var query = For(Schema.ScimRegistry.UserType);
        var users = await TryQueryAsync(() => ResourceEndpoints.QueryAsync(query, userStore, paging, cursors, tenant, ct));
        var userTotal = users?.Total ?? 0;
        var groupQuery = For(Schema.ScimRegistry.GroupType) with
        {
            StartIndex = Math.Max(1, search.StartIndex - userTotal),
            Count = search.Count - (users?.Resources.Count ?? 0),
        };
        var groups = await TryQueryAsync(() => ResourceEndpoints.QueryAsync(groupQuery, groupStore, paging, cursors, tenant, ct));
        if (users is null && groups is null)
        {
            // Neither type accepts the filter: report the users' error.
            await ResourceEndpoints.QueryAsync(query, userStore, paging, cursors, tenant, ct);
        }

        var resources = (users?.Resources ?? []).Concat(groups?.Resources ?? []).ToList();
        return ScimResult.Ok(new ListResponse(userTotal + (groups?.Total ?? 0), search.StartIndex, resources.Count, resources));
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

    /// <summary>
    /// For handlers that take the DbContext: one open connection for all their statements. EF otherwise opens and
    /// closes (and Microsoft.Data.Sqlite re-registers its functions on) a pooled connection around every statement.
    /// Decided once per endpoint from the handler's parameters, so the reads that need no DbContext (GET /Users/{id},
    /// the userName lookup, discovery) rent none.
    /// </summary>
    private static EndpointFilterDelegate OneConnectionPerRequest(EndpointFilterFactoryContext factory, EndpointFilterDelegate next) =>
        !factory.MethodInfo.GetParameters().Any(p => p.ParameterType == typeof(PortalDbContext)) ? next : async invocation =>
        {
            var context = invocation.HttpContext;
            await context.RequestServices.GetRequiredService<PortalDbContext>().Database.OpenConnectionAsync(context.RequestAborted);
            return await next(invocation);
        };

    public static bool IsScimRequest(HttpContext context) => context.Request.Path.StartsWithSegments(BasePath, StringComparison.OrdinalIgnoreCase);
}
