package io.pgmm.config;

/**
 * GLOBAL: a transaction sees every commit acknowledged on any node before it began (it may wait
 * for transactions this node has prepared but not yet decided). LOCAL: no wait; reads may miss a
 * commit acknowledged elsewhere a moment ago, never see half of one.
 */
public enum ReadConsistency { GLOBAL, LOCAL }
