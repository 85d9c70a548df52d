using IdeaScale.Portal.Scim.Auth;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Protocol;
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
        _ = scim;
        return app;
    }

    public static bool IsScimRequest(HttpContext context) => context.Request.Path.StartsWithSegments(BasePath, StringComparison.OrdinalIgnoreCase);
}
