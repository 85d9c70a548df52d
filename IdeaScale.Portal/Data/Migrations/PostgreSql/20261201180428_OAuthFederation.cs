using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class OAuthFederation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "FederationAudience",
                table: "ScimOAuthClients",
                type: "character varying(512)",
                maxLength: 512,
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<Guid>(
                name: "FederationId",
                table: "ScimOAuthClients",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FederationIssuer",
                table: "ScimOAuthClients",
                type: "character varying(512)",
                maxLength: 512,
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "FederationJwksUrl",
                table: "ScimOAuthClients",
                type: "character varying(2048)",
                maxLength: 2048,
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "FederationSubject",
                table: "ScimOAuthClients",
                type: "character varying(512)",
                maxLength: 512,
                nullable: true,
                collation: "C");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FederationAudience",
                table: "ScimOAuthClients");

            migrationBuilder.DropColumn(
                name: "FederationId",
                table: "ScimOAuthClients");

            migrationBuilder.DropColumn(
                name: "FederationIssuer",
                table: "ScimOAuthClients");

            migrationBuilder.DropColumn(
                name: "FederationJwksUrl",
                table: "ScimOAuthClients");

            migrationBuilder.DropColumn(
                name: "FederationSubject",
                table: "ScimOAuthClients");
        }
    }
}
