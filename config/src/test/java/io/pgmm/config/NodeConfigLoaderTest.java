package io.pgmm.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeConfigLoaderTest {

    private static final Path BASE = Path.of("/etc/pgmm");

    @TempDir
    Path dir;

    @Test
    void fullFileLoadsWithEveryFieldAndRelativePathsResolveAgainstItsFolder() throws Exception {
        Files.writeString(dir.resolve("server.crt"), "cert");
        Files.writeString(dir.resolve("server.key"), "key");
        Path yamlFile = dir.resolve("node1.yaml");
        Files.writeString(yamlFile, """
                nodeId: 1
                listen: { host: 0.0.0.0, port: 6432 }
                dataDir: data/node1        # relative: resolves against this file's folder
                postgres:
                  mode: managed
                  port: 16432
                  user: pgmm
                  trustLoopback: true
                  settings: { shared_buffers: 128MB, fsync: off, max_connections: 400 }
                tls: { certFile: server.crt, keyFile: server.key }
                clients: { allow: [127.0.0.0/8, "::1/128", 10.1.2.3] }
                limits: { maxMessageBytes: 1073807360, maxConnections: 500, shutdownGraceMillis: 2500, startupTimeoutMillis: 30000 }
                """);

        NodeConfig config = NodeConfigLoader.load(yamlFile);

        assertThat(config.nodeId()).isEqualTo(1);
        assertThat(config.listen()).isEqualTo(new ListenConfig("0.0.0.0", 6432));
        assertThat(config.dataDir()).isEqualTo(dir.toAbsolutePath().resolve("data/node1"));
        assertThat(config.postgres().mode()).isEqualTo(PostgresMode.MANAGED);
        assertThat(config.postgres().host()).isEqualTo("127.0.0.1");
        assertThat(config.postgres().port()).isEqualTo(16432);
        assertThat(config.postgres().user()).isEqualTo("pgmm");
        assertThat(config.postgres().binDir()).isNull();
        assertThat(config.postgres().trustLoopback()).isTrue();
        assertThat(config.postgres().settings())
                .containsExactly(Map.entry("fsync", "off"), Map.entry("max_connections", "400"), Map.entry("shared_buffers", "128MB"));
        assertThat(config.tls()).isEqualTo(new TlsConfig(dir.resolve("server.crt"), dir.resolve("server.key")));
        assertThat(config.tlsEnabled()).isTrue();
        assertThat(config.clients().allow()).containsExactly("127.0.0.0/8", "::1/128", "10.1.2.3");
        assertThat(config.limits()).isEqualTo(new LimitsConfig(1_073_807_360, 500, 2500, 30_000));
    }

    @Test
    void onlyTheRequiredFieldsGiveTheDocumentedDefaults() throws Exception {
        NodeConfig config = NodeConfigLoader.parse("nodeId: 3\ndataDir: /var/lib/pgmm/node3\n", BASE);

        assertThat(config.listen()).isEqualTo(new ListenConfig("127.0.0.1", 6432));
        assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/pgmm/node3"));
        assertThat(config.postgres()).isEqualTo(new PostgresConfig(PostgresMode.MANAGED, "127.0.0.1", 16432,
                "postgres", null, false, Map.of()));
        assertThat(config.tls()).isNull();
        assertThat(config.clients().allow()).containsExactly("127.0.0.0/8", "::1/128");
        assertThat(config.limits()).isEqualTo(LimitsConfig.defaults());
        assertThat(config.limits().maxMessageBytes()).isEqualTo(1_073_741_824 + 65_536);
        assertThat(config.limits().maxConnections()).isEqualTo(1000);
        assertThat(config.limits().shutdownGraceMillis()).isEqualTo(10_000);
        assertThat(config.limits().startupTimeoutMillis()).isEqualTo(60_000);
    }

    @Test
    void managedPostgresPortFollowsListenPortAndExternalDefaultsTo5432() throws Exception {
        assertThat(NodeConfigLoader.parse("nodeId: 1\ndataDir: d\nlisten: {port: 7000}", BASE).postgres().port())
                .isEqualTo(17000);
        NodeConfig external = NodeConfigLoader.parse("nodeId: 1\ndataDir: d\npostgres: {mode: EXTERNAL, host: db1}", BASE);
        assertThat(external.postgres().mode()).isEqualTo(PostgresMode.EXTERNAL);
        assertThat(external.postgres().host()).isEqualTo("db1");
        assertThat(external.postgres().port()).isEqualTo(5432);
    }

    @Test
    void anEmptyDocumentAsksForNodeId() {
        assertError("# nothing here\n", "nodeId", "required");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            dataDir: d                                                         | nodeId                       | required
            nodeId: 1                                                          | dataDir                      | required
            nodeId: 65\\ndataDir: d                                            | nodeId                       | must be between 1 and 64, got 65
            nodeId: x\\ndataDir: d                                             | nodeId                       | expected a whole number, got 'x'
            nodeId: 1\\ndataDir: d\\nlisten: {port: 70000}                     | listen.port                  | must be between 1 and 65535, got 70000
            nodeId: 1\\ndataDir: d\\nlisten: {port: 99999999999}               | listen.port                  | too large
            nodeId: 1\\ndataDir: d\\nlisten: {port: 5.5}                       | listen.port                  | expected a whole number
            nodeId: 1\\ndataDir: d\\nlisten: {prot: 6432}                      | listen.prot                  | unknown key; did you mean port?
            nodeId: 1\\ndataDir: d\\nlisten: 6432                              | listen                       | expected a mapping
            nodeId: 1\\ndataDir: d\\nlisten: {port: 1, port: 2}                | listen.port                  | given twice
            nodeId: 1\\ndataDir: d\\nnodeID: 2                                 | nodeID                       | unknown key; did you mean nodeId?
            nodeId: 1\\ndataDir: d\\npostgres: {mode: managd}                  | postgres.mode                | must be managed or external, got 'managd'
            nodeId: 1\\ndataDir: d\\npostgres: {port: 0}                       | postgres.port                | must be between 1 and 65535, got 0
            nodeId: 1\\ndataDir: d\\npostgres: {user: 'a b'}                   | postgres.user                | plain role name
            nodeId: 1\\ndataDir: d\\npostgres: {binDir: /nonexistent/bin}      | postgres.binDir              | has no postgres and initdb
            nodeId: 1\\ndataDir: d\\npostgres: {trustLoopback: maybe}          | postgres.trustLoopback       | expected true or false
            nodeId: 1\\ndataDir: d\\npostgres: {mode: external, trustLoopback: true} | postgres.trustLoopback | only used when postgres.mode is managed
            nodeId: 1\\ndataDir: d\\npostgres: {mode: external, settings: {a: b}}    | postgres.settings      | only used when postgres.mode is managed
            nodeId: 1\\ndataDir: d\\npostgres: {settings: {port: 5}}           | postgres.settings.port       | set postgres.port instead
            nodeId: 1\\ndataDir: d\\npostgres: {settings: {wal_level: replica}} | postgres.settings.wal_level | must be logical
            nodeId: 1\\ndataDir: d\\npostgres: {settings: {max_prepared_transactions: 0}} | postgres.settings.max_prepared_transactions | at least 1
            nodeId: 1\\ndataDir: d\\npostgres: {settings: {work_mem: {a: 1}}}  | postgres.settings.work_mem   | expected a single value
            nodeId: 1\\ndataDir: d\\npostgres: {settings: {'bad name': 1}}     | postgres.settings.bad name   | not a PostgreSQL setting name
            nodeId: 1\\ndataDir: d\\ntls: {certFile: /nonexistent.crt, keyFile: /nonexistent.key} | tls.certFile | does not exist
            nodeId: 1\\ndataDir: d\\ntls: {}                                   | tls.certFile                 | required when tls is present
            nodeId: 1\\ndataDir: d\\nclients: {allow: []}                      | clients.allow                | is empty
            nodeId: 1\\ndataDir: d\\nclients: {allow: 10.0.0.0/8}              | clients.allow                | expected a list
            nodeId: 1\\ndataDir: d\\nclients: {allow: [10.0.0.0/8, 10.0.0.0/33]} | clients.allow[1]           | prefix must be between 0 and 32
            nodeId: 1\\ndataDir: d\\nclients: {allow: [10.0.0.1/8]}            | clients.allow[0]             | host bits set after the /8 prefix; write 10.0.0.0/8
            nodeId: 1\\ndataDir: d\\nclients: {allow: [localhost]}             | clients.allow[0]             | host names are not accepted
            nodeId: 1\\ndataDir: d\\nclients: {allow: ['fe80::zz/64']}         | clients.allow[0]             | not a valid IPv6 address
            nodeId: 1\\ndataDir: d\\nlimits: {maxMessageBytes: 100}            | limits.maxMessageBytes       | must be at least 4096, got 100
            nodeId: 1\\ndataDir: d\\nlimits: {maxConnections: 0}               | limits.maxConnections        | must be at least 1, got 0
            nodeId: 1\\ndataDir: d\\nlimits: {shutdownGraceMillis: -1}         | limits.shutdownGraceMillis   | must be at least 0, got -1
            nodeId: 1\\ndataDir: d\\nlimits: {startupTimeoutMillis: 10}        | limits.startupTimeoutMillis  | must be at least 1000, got 10
            nodeId: 1\\ndataDir: '~/pgmm'                                       | dataDir                      | '~' is not expanded
            nodeId: 1\\ndataDir: d\\n  oops: [                                 | document                     | not valid YAML
            - 1\\n- 2                                                          | document                     | must be a mapping
            nodeId: 1\\ndataDir: d\\n---\\nnodeId: 2                           | document                     | more than one YAML document
            """)
    void eachErrorNamesItsField(String yaml, String field, String problem) {
        assertError(yaml.replace("\\n", "\n"), field, problem);
    }

    @Test
    void managedDefaultPortThatWouldOverflowAsksForAnExplicitOne() {
        assertError("nodeId: 1\ndataDir: d\nlisten: {port: 60000}", "postgres.port", "required when listen.port + 10000");
    }

    @Test
    void unknownKeyErrorListsTheKnownKeys() {
        assertThatThrownBy(() -> NodeConfigLoader.parse("nodeId: 1\ndataDir: d\nlimits: {maxConn: 5}", BASE))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("limits.maxConn: unknown key")
                .hasMessageContaining("maxConnections, maxMessageBytes, shutdownGraceMillis, startupTimeoutMillis");
    }

    @Test
    void missingFileNamesIt() {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> NodeConfigLoader.load(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("document: cannot read the configuration file " + missing);
    }

    @Test
    void settingsKeepTextAndNumbersAsWritten() throws Exception {
        NodeConfig config = NodeConfigLoader.parse("""
                nodeId: 1
                dataDir: d
                postgres: { settings: { work_mem: 4MB, random_page_cost: 1.1, synchronous_commit: 'off', auto_explain.log_min_duration: 250 } }
                """, BASE);
        assertThat(config.postgres().settings()).containsExactly(
                Map.entry("auto_explain.log_min_duration", "250"), Map.entry("random_page_cost", "1.1"),
                Map.entry("synchronous_commit", "off"), Map.entry("work_mem", "4MB"));
    }

    @Test
    void recordsAreImmutable() throws Exception {
        NodeConfig config = NodeConfigLoader.parse("nodeId: 1\ndataDir: d\npostgres: {settings: {a: b}}", BASE);
        assertThatThrownBy(() -> config.clients().allow().add("0.0.0.0/0")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.postgres().settings().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(List.copyOf(config.clients().blocks())).hasSize(2);
    }

    private static void assertError(String yaml, String field, String problem) {
        assertThatThrownBy(() -> NodeConfigLoader.parse(yaml, BASE))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    ConfigException ce = (ConfigException) e;
                    assertThat(ce.field()).isEqualTo(field);
                    assertThat(ce.getMessage()).startsWith(field + ": ").contains(problem);
                });
    }
}
